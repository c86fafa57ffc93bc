import { describe, expect, it } from '@jest/globals';
import type { Stmt } from '../ast.js';
import { parse } from '../parse.js';

function stmts(src: string): Stmt[] {
  const { module, diagnostics } = parse(src, 'main.k');
  expect(diagnostics).toEqual([]);
  return module.body;
}

describe('assignments', () => {
  it('reads plain, annotated, multi-target and augmented assignments', () => {
    expect(stmts('a = 1\nb: int = 2\nc = d = 3\ne += 1\nf //= 2\n')).toMatchObject([
      { kind: 'AssignStmt', targets: [{ kind: 'Target', name: 'a', path: [] }], value: { raw: '1' } },
      { kind: 'AssignStmt', targets: [{ name: 'b' }], typeAnnotation: { kind: 'BasicType', name: 'int' }, value: { raw: '2' } },
      { kind: 'AssignStmt', targets: [{ name: 'c' }, { name: 'd' }], value: { raw: '3' } },
      { kind: 'AugAssignStmt', target: { name: 'e' }, op: '+=' },
      { kind: 'AugAssignStmt', target: { name: 'f' }, op: '//=' },
    ]);
  });

  it('reads selector and subscript targets', () => {
    expect(stmts('_a.b[0].c = 1\n')).toMatchObject([
      { kind: 'AssignStmt', targets: [{ name: '_a', path: [{ kind: 'attr', name: 'b' }, { kind: 'index', index: { raw: '0' } }, { kind: 'attr', name: 'c' }] }] },
    ]);
  });

  it('tells a unification from an annotated assignment', () => {
    expect(stmts('a: S {x: 1}\nb: S = S {x: 1}\nc: pkg.S(1) {}\n')).toMatchObject([
      { kind: 'UnificationStmt', target: { name: 'a' }, value: { kind: 'SchemaExpr', name: { name: 'S' } } },
      { kind: 'AssignStmt', typeAnnotation: { kind: 'NamedType', name: 'S' }, value: { kind: 'SchemaExpr' } },
      { kind: 'UnificationStmt', value: { kind: 'SchemaExpr', name: { kind: 'SelectorExpr' }, args: [{ raw: '1' }] } },
    ]);
  });

  it('reads keyword-typed annotations', () => {
    expect(stmts('e: any = [1]\nf: [str] = []\n')).toMatchObject([
      { kind: 'AssignStmt', typeAnnotation: { kind: 'AnyType' } },
      { kind: 'AssignStmt', typeAnnotation: { kind: 'ListType', elem: { name: 'str' } } },
    ]);
  });

  it('records statement spans', () => {
    const [s] = stmts('abc = 1 + 2\n');
    expect(s!.span).toEqual({ file: 'main.k', line: 1, col: 1, endLine: 1, endCol: 12 });
  });

  it('reads expression statements and names the reference accepts at statement start', () => {
    expect(stmts('print("x")\nfor = 1\ncheck = 2\n')).toMatchObject([
      { kind: 'ExprStmt', exprs: [{ kind: 'CallExpr' }] },
      { kind: 'AssignStmt', targets: [{ name: 'for' }] },
      { kind: 'AssignStmt', targets: [{ name: 'check' }] },
    ]);
  });

  it('accepts several statements on one line', () => {
    expect(stmts('a = 1 b = 2\n')).toMatchObject([{ targets: [{ name: 'a' }] }, { targets: [{ name: 'b' }] }]);
  });

  it('reports a semicolon but keeps both statements', () => {
    const { module, diagnostics } = parse('a = 1; b = 2\n', 'main.k');
    expect(diagnostics.map((d) => [d.code, d.span!.col])).toEqual([['E1001', 6]]);
    expect(module.body).toHaveLength(2);
  });
});

describe('if statements', () => {
  it('reads if / elif / else with elif as a nested IfStmt', () => {
    const [s] = stmts('if a:\n    x = 1\nelif b:\n    x = 2\nelse:\n    x = 3\n    y = 4\n');
    expect(s).toMatchObject({
      kind: 'IfStmt', cond: { name: 'a' }, body: [{ kind: 'AssignStmt' }],
      orelse: [{ kind: 'IfStmt', cond: { name: 'b' }, body: [{}], orelse: [{ kind: 'AssignStmt' }, { kind: 'AssignStmt' }] }],
    });
  });

  it('reads nested blocks and the statement after them', () => {
    const body = stmts('if a:\n    if b:\n        x = 1\n    y = 2\nz = 3\n');
    expect(body).toMatchObject([{ kind: 'IfStmt', body: [{ kind: 'IfStmt', body: [{}] }, { kind: 'AssignStmt' }] }, { kind: 'AssignStmt', targets: [{ name: 'z' }] }]);
  });

  it('reads a body on the same line', () => {
    expect(stmts('if a: x = 1\n')).toMatchObject([{ kind: 'IfStmt', body: [{ kind: 'AssignStmt' }] }]);
  });

  it('ignores blank lines and comments inside blocks', () => {
    expect(stmts('if a:\n    x = 1\n\n    # note\n    y = 2\n')).toMatchObject([{ body: [{}, {}] }]);
  });

  it('reads tab-indented blocks', () => {
    expect(stmts('if a:\n\tx = 1\n\ty = 2\n')).toMatchObject([{ body: [{}, {}] }]);
  });

  it('reports indentation errors as the reference does (E1001)', () => {
    const bad = [
      ['if True:\na = 1\n', 2, 1],
      ['if True:\n    a = 1\n  b = 2\n', 3, 3],
      ['if True:\n\ta = 1\n        b = 2\n', 3, 9],
      ['a = 1\n  b = 2\n', 2, 3],
    ] as const;
    for (const [src, line, col] of bad) {
      const d = parse(src, 'main.k').diagnostics[0]!;
      expect([d.code, d.span!.line, d.span!.col]).toEqual(['E1001', line, col]);
    }
  });
});

describe('other statements', () => {
  it('reads assert with guard and message', () => {
    expect(stmts('assert a > 1 if b, "msg"\nassert c\n')).toMatchObject([
      { kind: 'AssertStmt', test: { kind: 'CompareExpr' }, ifCond: { name: 'b' }, msg: { value: 'msg' } },
      { kind: 'AssertStmt', test: { name: 'c' } },
    ]);
  });

  it('reads imports', () => {
    expect(stmts('import regex\nimport a.b.c as d\n')).toMatchObject([
      { kind: 'ImportStmt', path: 'regex', name: 'regex' },
      { kind: 'ImportStmt', path: 'a.b.c', asname: 'd', name: 'd' },
    ]);
  });

  it('reads type aliases', () => {
    expect(stmts('type Proto = "TCP" | "UDP"\n')).toMatchObject([
      { kind: 'TypeAliasStmt', name: 'Proto', type: { kind: 'UnionType', types: [{ kind: 'LiteralType', value: 'TCP' }, { value: 'UDP' }] } },
    ]);
  });
});
