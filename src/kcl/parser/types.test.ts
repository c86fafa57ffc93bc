import { describe, expect, it } from '@jest/globals';
import type { Type } from '../ast.js';
import { parse } from '../parse.js';

function typeOf(src: string): Type {
  const { module, diagnostics } = parse(`x: ${src} = None\n`, 'main.k');
  expect(diagnostics).toEqual([]);
  const stmt = module.body[0]!;
  if (stmt.kind !== 'AssignStmt' || !stmt.typeAnnotation) throw new Error('expected an annotated assignment');
  return stmt.typeAnnotation;
}

describe('types', () => {
  it('reads basic types and any', () => {
    for (const name of ['int', 'float', 'str', 'bool']) expect(typeOf(name)).toMatchObject({ kind: 'BasicType', name });
    expect(typeOf('any')).toMatchObject({ kind: 'AnyType' });
  });

  it('reads list and dict types, with parts optional', () => {
    expect(typeOf('[int]')).toMatchObject({ kind: 'ListType', elem: { name: 'int' } });
    expect(typeOf('[]')).toEqual(expect.objectContaining({ kind: 'ListType' }));
    expect(typeOf('{str:[int]}')).toMatchObject({ kind: 'DictType', key: { name: 'str' }, value: { kind: 'ListType' } });
    expect(typeOf('{:}')).toMatchObject({ kind: 'DictType' });
  });

  it('reads unions and literal types', () => {
    expect(typeOf('"a" | "b" | 1 | 2.5 | True | None | 1Gi')).toMatchObject({
      kind: 'UnionType',
      types: [
        { kind: 'LiteralType', value: 'a', valueKind: 'str' }, { value: 'b' },
        { value: 1, valueKind: 'int' }, { value: 2.5, valueKind: 'float' },
        { value: true, valueKind: 'bool' }, { value: null, valueKind: 'none' }, { value: 1, raw: '1Gi' },
      ],
    });
  });

  it('reads dotted schema names', () => {
    expect(typeOf('pkg.sub.Schema')).toMatchObject({ kind: 'NamedType', name: 'pkg.sub.Schema' });
    expect(typeOf('Schema | None')).toMatchObject({ kind: 'UnionType', types: [{ kind: 'NamedType' }, { kind: 'LiteralType' }] });
  });

  it('reads function types', () => {
    expect(typeOf('(int, str) -> bool')).toMatchObject({ kind: 'FunctionType', params: [{ name: 'int' }, { name: 'str' }], ret: { name: 'bool' } });
    expect(typeOf('() -> [str]')).toMatchObject({ kind: 'FunctionType', params: [], ret: { kind: 'ListType' } });
  });

  it('reports a missing type and a signed literal type', () => {
    expect(parse('x: = 1\n', 'main.k').diagnostics[0]!.code).toBe('E1001');
    expect(parse('x: -1 = -1\n', 'main.k').diagnostics[0]!.code).toBe('E1001');
  });
});
