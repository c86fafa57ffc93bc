import { describe, expect, it } from '@jest/globals';
import type { Expr } from '../ast.js';
import { parse } from '../parse.js';

function expr(src: string): Expr {
  const { module, diagnostics } = parse(`x = ${src}\n`, 'main.k');
  expect(diagnostics).toEqual([]);
  const stmt = module.body[0]!;
  if (stmt.kind !== 'AssignStmt') throw new Error(`expected an assignment, got ${stmt.kind}`);
  return stmt.value;
}

describe('list literals', () => {
  it('reads items separated by commas, newlines or spaces', () => {
    expect(expr('[1, 2, 3,]')).toMatchObject({ kind: 'ListExpr', elts: [{ raw: '1' }, { raw: '2' }, { raw: '3' }] });
    expect(expr('[\n    1\n    2\n]')).toMatchObject({ kind: 'ListExpr', elts: [{ raw: '1' }, { raw: '2' }] });
    expect(expr('[1 2]')).toMatchObject({ kind: 'ListExpr', elts: [{ raw: '1' }, { raw: '2' }] });
    expect(expr('[]')).toMatchObject({ kind: 'ListExpr', elts: [] });
  });

  it('reads unpacking', () => {
    expect(expr('[*a, 1]')).toMatchObject({ elts: [{ kind: 'StarredExpr', value: { name: 'a' } }, { raw: '1' }] });
  });

  it('reads inline if / elif / else items', () => {
    expect(expr('[if a: 1 elif b: 2 else: 3, 4]')).toMatchObject({
      elts: [
        { kind: 'ListIfItemExpr', cond: { name: 'a' }, exprs: [{ raw: '1' }], orelse: { kind: 'ListIfItemExpr', cond: { name: 'b' }, exprs: [{ raw: '2' }], orelse: { kind: 'ListExpr', elts: [{ raw: '3' }] } } },
        { raw: '4' },
      ],
    });
  });

  it('reads indented if blocks', () => {
    const e = expr('[\n    if a:\n        1\n        2\n    else:\n        3\n    4\n]');
    expect(e).toMatchObject({
      elts: [{ kind: 'ListIfItemExpr', exprs: [{ raw: '1' }, { raw: '2' }], orelse: { kind: 'ListExpr', elts: [{ raw: '3' }] } }, { raw: '4' }],
    });
  });

  it('reads comprehensions with several clauses, two variables and filters', () => {
    expect(expr('[x * y for x in xs if x > 0 for i, y in ys]')).toMatchObject({
      kind: 'ListComp', elt: { kind: 'BinaryExpr' },
      generators: [
        { kind: 'CompClause', targets: [{ name: 'x' }], iter: { name: 'xs' }, ifs: [{ kind: 'CompareExpr' }] },
        { kind: 'CompClause', targets: [{ name: 'i' }, { name: 'y' }], iter: { name: 'ys' }, ifs: [] },
      ],
    });
    expect(expr('[\n    x\n    for x in xs\n]')).toMatchObject({ kind: 'ListComp' });
  });
});

describe('config literals', () => {
  it('reads the three entry operators and key forms', () => {
    expect(expr('{a: 1, b = 2, c += [3], "q-k": 4, a.b.c: 5, **d}')).toMatchObject({
      kind: 'ConfigExpr',
      entries: [
        { kind: 'ConfigEntry', key: { kind: 'Identifier', name: 'a' }, op: ':', value: { raw: '1' }, isDoubleStar: false },
        { key: { name: 'b' }, op: '=' },
        { key: { name: 'c' }, op: '+=', value: { kind: 'ListExpr' } },
        { key: { kind: 'StringLit', value: 'q-k' }, op: ':' },
        { key: { kind: 'SelectorExpr', attr: 'c', value: { kind: 'SelectorExpr', attr: 'b', value: { kind: 'Identifier', name: 'a' } } }, op: ':' },
        { isDoubleStar: true, value: { name: 'd' } },
      ],
    });
    const unpack = expr('{**d}');
    if (unpack.kind !== 'ConfigExpr') throw new Error('shape');
    expect(unpack.entries[0]!.key).toBeUndefined();
  });

  it('reads expression keys and interpolated keys', () => {
    expect(expr('{(k): 1, "${k}-x": 2, 1: 3}')).toMatchObject({
      entries: [{ key: { kind: 'ParenExpr' } }, { key: { kind: 'JoinedString' } }, { key: { kind: 'NumberLit' } }],
    });
  });

  it('lets keyword-like names be keys', () => {
    expect(expr('{type: 1, check: 2, schema: 3, $if: 4}')).toMatchObject({
      entries: [{ key: { name: 'type' } }, { key: { name: 'check' } }, { key: { name: 'schema' } }, { key: { name: 'if' } }],
    });
  });

  it('reads multi-line configs without commas', () => {
    const e = expr('{\n    a: 1\n    b = {\n        c: 2\n    }\n}');
    expect(e).toMatchObject({ entries: [{ key: { name: 'a' } }, { key: { name: 'b' }, value: { kind: 'ConfigExpr', entries: [{ key: { name: 'c' } }] } }] });
  });

  it('reads `{name}` as `{name = name}`', () => {
    expect(expr('{fix}')).toMatchObject({ entries: [{ key: { kind: 'Identifier', name: 'fix' }, value: { kind: 'Identifier', name: 'fix' }, op: '=' }] });
  });

  it('reads an inline if entry as one entry', () => {
    expect(expr('{if a: b: 1, c: 2}')).toMatchObject({
      entries: [
        { value: { kind: 'ConfigIfEntryExpr', cond: { name: 'a' }, entries: [{ key: { name: 'b' } }] } },
        { key: { name: 'c' } },
      ],
    });
  });

  it('reads indented if / elif / else blocks', () => {
    const e = expr('{\n    if a:\n        b: 1\n        c = 2\n    elif d:\n        b: 3\n    else:\n        b: 4\n    e: 5\n}');
    expect(e).toMatchObject({
      entries: [
        {
          value: {
            kind: 'ConfigIfEntryExpr', entries: [{ key: { name: 'b' } }, { key: { name: 'c' }, op: '=' }],
            orelse: { kind: 'ConfigIfEntryExpr', cond: { name: 'd' }, orelse: { kind: 'ConfigExpr', entries: [{ key: { name: 'b' } }] } },
          },
        },
        { key: { name: 'e' } },
      ],
    });
  });

  it('reads blocks indented relative to the line holding the if', () => {
    const e = expr('{if True:\n    c: 1\n    d: 2\nelse:\n    e: 3\n}');
    expect(e).toMatchObject({ entries: [{ value: { kind: 'ConfigIfEntryExpr', entries: [{}, {}], orelse: { kind: 'ConfigExpr', entries: [{ key: { name: 'e' } }] } } }] });
  });

  it('reads dict comprehensions with each entry operator', () => {
    expect(expr('{k: v for k, v in d if v}')).toMatchObject({
      kind: 'DictComp', entry: { key: { name: 'k' }, value: { name: 'v' }, op: ':' },
      generators: [{ targets: [{ name: 'k' }, { name: 'v' }], iter: { name: 'd' }, ifs: [{ name: 'v' }] }],
    });
    expect(expr('{k = 1 for k in d}')).toMatchObject({ kind: 'DictComp', entry: { op: '=' } });
    expect(expr('{"${k}": 1 for k in d}')).toMatchObject({ kind: 'DictComp', entry: { key: { kind: 'JoinedString' } } });
  });

  it('records spans of entries', () => {
    const e = expr('{a: 1}');
    if (e.kind !== 'ConfigExpr') throw new Error('shape');
    expect(e.span).toMatchObject({ line: 1, col: 5, endCol: 11 });
    expect(e.entries[0]!.span).toMatchObject({ line: 1, col: 6, endCol: 10 });
  });
});
