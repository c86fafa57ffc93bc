import { describe, expect, it } from '@jest/globals';
import type { Stmt } from '../ast.js';
import { parse } from '../parse.js';

function stmts(src: string): Stmt[] {
  const { module, diagnostics } = parse(src, 'main.k');
  expect(diagnostics).toEqual([]);
  return module.body;
}

const FULL_SCHEMA = `@deprecated(version="1.0")
schema Container[prefix: str, n = 1](base.Base) for Proto:
    """A container."""
    mixin [LabelMixin, pkg.OtherMixin]
    @info(hidden=True)
    name: str = prefix + "-c"
    "k-8s"?: int
    image?: str
    ports: [int] | None = None
    [key: str]: str
    if name == "x":
        image = "y"
    assert n > 0
    check:
        len(name) > 0, "name required"
        image.startswith("a") if image, "bad \${image}"
        0 < n < 64
`;

describe('schema statements', () => {
  it('reads the header, docstring, mixins, decorators, attributes, body and checks', () => {
    const [s] = stmts(FULL_SCHEMA);
    expect(s).toMatchObject({
      kind: 'SchemaStmt', name: 'Container', doc: 'A container.',
      args: [{ kind: 'Parameter', name: 'prefix', type: { name: 'str' } }, { name: 'n', default: { raw: '1' } }],
      parentName: { kind: 'Identifier', name: 'base.Base' },
      forHostName: { name: 'Proto' },
      isMixin: false, isProtocol: false,
      mixins: [{ name: 'LabelMixin' }, { name: 'pkg.OtherMixin' }],
      decorators: [{ kind: 'Decorator', name: 'deprecated', args: { kind: 'CallExpr', keywords: [{ name: 'version' }] } }],
      body: [
        { kind: 'SchemaAttr', name: 'name', type: { name: 'str' }, optional: false, op: '=', value: { kind: 'BinaryExpr' }, decorators: [{ name: 'info' }] },
        { kind: 'SchemaAttr', name: 'k-8s', optional: true, decorators: [] },
        { kind: 'SchemaAttr', name: 'image', optional: true },
        { kind: 'SchemaAttr', name: 'ports', type: { kind: 'UnionType' }, value: { kind: 'NameConstantLit' } },
        { kind: 'IfStmt', body: [{ kind: 'AssignStmt' }] },
        { kind: 'AssertStmt' },
      ],
      indexSignature: { kind: 'SchemaIndexSignature', keyName: 'key', keyType: { name: 'str' }, valueType: { name: 'str' }, anyOther: false },
      checks: [
        { kind: 'CheckExpr', test: { kind: 'CompareExpr' }, msg: { value: 'name required' } },
        { kind: 'CheckExpr', test: { kind: 'CallExpr' }, ifCond: { name: 'image' }, msg: { kind: 'JoinedString' } },
        { kind: 'CheckExpr', test: { kind: 'CompareExpr', ops: ['<', '<'] } },
      ],
    });
    expect(s!.span).toMatchObject({ line: 2, col: 1, endLine: 17 });
  });

  it('gives a required attribute typed by a direct literal that literal as its default', () => {
    const [s] = stmts('schema S:\n    a: True\n    b: 1Ki\n    c: "v"\n    d?: "v"\n    e: "x" | "y"\n    f: 2.5\n');
    expect(s).toMatchObject({
      body: [
        { name: 'a', op: '=', value: { kind: 'NameConstantLit', value: 'True' } },
        { name: 'b', op: '=', value: { kind: 'NumberLit', value: 1, suffix: 'Ki', isFloat: false } },
        { name: 'c', op: '=', value: { kind: 'StringLit', value: 'v' } },
        { name: 'd', optional: true },
        { name: 'e', type: { kind: 'UnionType' } },
        { name: 'f', op: '=', value: { kind: 'NumberLit', value: 2.5, isFloat: true } },
      ],
    });
    if (s!.kind !== 'SchemaStmt') throw new Error('shape');
    expect(s!.body[3]).not.toHaveProperty('value');
    expect(s!.body[4]).not.toHaveProperty('value');
  });

  it('reads attributes whose names are soft keywords', () => {
    const [s] = stmts('schema S:\n    type: str\n    $check?: bool\n    $if: int\n');
    expect(s).toMatchObject({ body: [{ name: 'type' }, { name: 'check', optional: true }, { name: 'if' }] });
  });

  it('reads index signature forms', () => {
    const sig = (line: string) => {
      const [s] = stmts(`schema S:\n    ${line}\n`);
      if (s!.kind !== 'SchemaStmt') throw new Error('shape');
      return s!.indexSignature;
    };
    expect(sig('[str]: int')).toMatchObject({ keyType: { name: 'str' }, valueType: { name: 'int' }, anyOther: false });
    expect(sig('[str]: int')).not.toHaveProperty('keyName');
    expect(sig('[...str]: str')).toMatchObject({ anyOther: true });
    expect(sig('[name: str]: int = 1')).toMatchObject({ keyName: 'name', value: { raw: '1' } });
  });

  it('reads mixins and protocols', () => {
    expect(stmts('schema AMixin for P:\n    a: int\nprotocol P:\n    a: int\n')).toMatchObject([
      { kind: 'SchemaStmt', name: 'AMixin', isMixin: true, forHostName: { name: 'P' } },
      { kind: 'SchemaStmt', name: 'P', isProtocol: true },
    ]);
  });

  it('accepts an empty schema body, as the reference does', () => {
    expect(stmts('schema A:\nb = 1\n')).toMatchObject([{ kind: 'SchemaStmt', body: [] }, { kind: 'AssignStmt' }]);
  });

  it('wants a check block on its own lines', () => {
    expect(parse('schema P:\n    n: int = 1\n    check:        n < 10\n', 'main.k').diagnostics[0]).toMatchObject({ code: 'E1001', span: { line: 3, col: 19 } });
  });
});

describe('rule statements', () => {
  it('reads a rule with arguments, parents, host, docstring and check lines', () => {
    const [r] = stmts('rule R[x](P1, P2) for Proto:\n    """doc"""\n    x > 1\n    x < 2 if x, "msg"\n');
    expect(r).toMatchObject({
      kind: 'RuleStmt', name: 'R', doc: 'doc', args: [{ name: 'x' }], parents: [{ name: 'P1' }, { name: 'P2' }],
      forHostName: { name: 'Proto' }, decorators: [],
      checks: [{ test: { kind: 'CompareExpr' } }, { test: { kind: 'CompareExpr' }, ifCond: { name: 'x' }, msg: { value: 'msg' } }],
    });
  });
});
