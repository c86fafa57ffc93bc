import { describe, expect, it } from '@jest/globals';
import type { Expr } from '../ast.js';
import { parse } from '../parse.js';

/** Parses `x = <src>` and returns the value expression, insisting on no diagnostics. */
function expr(src: string): Expr {
  const { module, diagnostics } = parse(`x = ${src}\n`, 'main.k');
  expect(diagnostics).toEqual([]);
  const stmt = module.body[0]!;
  if (stmt.kind !== 'AssignStmt') throw new Error(`expected an assignment, got ${stmt.kind}`);
  return stmt.value;
}

/** A compact rendering of operator structure. */
function show(e: Expr): string {
  switch (e.kind) {
    case 'Identifier': return e.name;
    case 'NumberLit': return e.raw;
    case 'BinaryExpr': return `(${show(e.left)} ${e.op} ${show(e.right)})`;
    case 'UnaryExpr': return `(${e.op} ${show(e.operand)})`;
    case 'CompareExpr': return `(${show(e.left)} ${e.ops.map((op, i) => `${op} ${show(e.comparators[i]!)}`).join(' ')})`;
    case 'IfExpr': return `(${show(e.body)} if ${show(e.cond)} else ${show(e.orelse)})`;
    case 'SelectorExpr': return `${show(e.value)}${e.hasQuestion ? '?.' : '.'}${e.attr}`;
    case 'ParenExpr': return show(e.expr);
    default: return e.kind;
  }
}

describe('operator precedence (as the reference parses it)', () => {
  it.each([
    ['1 + 2 * 3', '(1 + (2 * 3))'],
    ['a - b - c', '((a - b) - c)'],
    ['-2 ** 2', '((- 2) ** 2)'],
    ['2 ** 3 ** 2', '((2 ** 3) ** 2)'],
    ['a * b ** c', '(a * (b ** c))'],
    ['~a ** b', '((~ a) ** b)'],
    ['a & b ^ c | d << e', '(((a & b) ^ c) | (d << e))'],
    ['a or b and not c', '(a or (b and (not c)))'],
    ['not a and b', '((not a) and b)'],
    ['not a + b', '((not a) + b)'],
    ['not a == b', '((not a) == b)'],
    ['a == b in c', '(a == (b in c))'],
    ['a in b == c', '(a in b == c)'],
    ['a is b < c', '(a is (b < c))'],
    ['a < b is c', '(a < b is c)'],
    ['a == b is c', '(a == (b is c))'],
    ['a | b < c', '((a | b) < c)'],
    ['a == b and c', '((a == b) and c)'],
    ['a + b as T', '((a + b) as T)'],
    ['a or b as T', '((a or b) as T)'],
    ['x as pkg.T', '(x as pkg.T)'],
    ['a + b if c else d + e', '((a + b) if c else (d + e))'],
    ['a if b else c if d else e', '(a if b else (c if d else e))'],
    ['a // b % c / d', '(((a // b) % c) / d)'],
    ['a >> 1 << 2', '((a >> 1) << 2)'],
    ['(a + b) * c', '((a + b) * c)'],
    ['-a.b', '(- a.b)'],
  ])('%s', (src, expected) => {
    expect(show(expr(src))).toBe(expected);
  });

  it('keeps a chained comparison as one CompareExpr', () => {
    expect(expr('0 < a <= 10 != b')).toMatchObject({ kind: 'CompareExpr', left: { raw: '0' }, ops: ['<', '<=', '!='], comparators: [{ name: 'a' }, { raw: '10' }, { name: 'b' }] });
  });

  it('reads two-word comparison operators', () => {
    expect(show(expr('a not in b'))).toBe('(a not in b)');
    expect(show(expr('a is not None'))).toBe('(a is not NameConstantLit)');
    expect(show(expr('a in b is c'))).toBe('(a in (b is c))');
    expect(show(expr('not a in b'))).toBe('((not a) in b)');
    expect(show(expr('a not in b in c'))).toBe('(a not in b in c)');
  });

  it('does not continue an expression on the next line', () => {
    // The next line is a statement of its own, and one cannot start with a sign (the reference).
    const { module, diagnostics } = parse('a = 1\n+ 2\n', 'main.k');
    expect(module.body[0]).toMatchObject({ kind: 'AssignStmt', value: { kind: 'NumberLit', value: 1 } });
    expect(diagnostics.map((d) => [d.code, d.span?.line, d.span?.col])).toEqual([['E1001', 2, 1]]);
  });

  it('rejects a unary operator applied to a unary operator, as the reference does', () => {
    expect(parse('c = - -5\n', 'main.k').diagnostics[0]!.code).toBe('E1001');
  });

  it('reads a keyword in operand position as a name, as the reference does', () => {
    // the reference parses `not not a` as `not <name "not">` followed by the statement `a`
    const { module, diagnostics } = parse('c = not not a\n', 'main.k');
    expect(diagnostics).toEqual([]);
    expect(module.body).toMatchObject([
      { kind: 'AssignStmt', value: { kind: 'UnaryExpr', op: 'not', operand: { kind: 'Identifier', name: 'not' } } },
      { kind: 'ExprStmt', exprs: [{ kind: 'Identifier', name: 'a' }] },
    ]);
    expect(expr('else')).toMatchObject({ kind: 'Identifier', name: 'else' });
  });
});

describe('literals', () => {
  it('reads numbers with suffixes and name constants', () => {
    expect(expr('1Gi')).toMatchObject({ kind: 'NumberLit', value: 1, suffix: 'Gi', isFloat: false, raw: '1Gi' });
    expect(expr('1.5')).toMatchObject({ kind: 'NumberLit', value: 1.5, isFloat: true });
    expect(expr('1.5')).toMatchObject({ suffix: undefined });
    for (const v of ['True', 'False', 'None', 'Undefined']) expect(expr(v)).toMatchObject({ kind: 'NameConstantLit', value: v });
  });

  it('reads strings with escapes resolved', () => {
    expect(expr('"a\\tb"')).toMatchObject({ kind: 'StringLit', value: 'a\tb', raw: '"a\\tb"' });
    expect(expr("'''multi\nline'''")).toMatchObject({ kind: 'StringLit', value: 'multi\nline' });
    expect(expr('r"\\d+"')).toMatchObject({ kind: 'StringLit', value: '\\d+' });
    expect(expr('"\\${x}"')).toMatchObject({ kind: 'StringLit', value: '${x}' });
  });

  it('reads an interpolated string as a JoinedString with real positions', () => {
    const e = expr('"a${b + 1}c${d: #json}${e: #yaml}"');
    expect(e).toMatchObject({
      kind: 'JoinedString',
      parts: [
        'a',
        { kind: 'FormattedValue', value: { kind: 'BinaryExpr', op: '+' } },
        'c',
        { kind: 'FormattedValue', value: { kind: 'Identifier', name: 'd' }, formatSpec: '#json' },
        { kind: 'FormattedValue', value: { kind: 'Identifier', name: 'e' }, formatSpec: '#yaml' },
      ],
    });
    if (e.kind !== 'JoinedString') throw new Error('shape');
    const first = e.parts[1];
    if (typeof first === 'string' || first!.value.kind !== 'BinaryExpr') throw new Error('shape');
    // `x = "a${b + 1}...`: b sits at column 9
    expect(first!.value.left.span).toMatchObject({ line: 1, col: 9, endCol: 10 });
    expect(first!.span).toMatchObject({ line: 1, col: 7 });
  });

  it('places interpolations on later lines of a triple-quoted string', () => {
    const e = expr('"""line\n  ${name}"""');
    if (e.kind !== 'JoinedString' || typeof e.parts[1] === 'string') throw new Error('shape');
    expect(e.parts[1]!.value.span).toMatchObject({ line: 2, col: 5 });
  });

  it('reports a bad interpolation', () => {
    const { diagnostics } = parse('x = "${a +}"\n', 'main.k');
    expect(diagnostics[0]!.code).toBe('E1001');
    expect(parse('x = "${a: #toml}"\n', 'main.k').diagnostics[0]).toMatchObject({ code: 'E2L23', span: { line: 1, col: 8 } });
  });
});

describe('postfix chains', () => {
  it('reads selectors, optional selectors, subscripts and slices', () => {
    expect(expr('a.b?.c')).toMatchObject({ kind: 'SelectorExpr', attr: 'c', hasQuestion: true, value: { kind: 'SelectorExpr', attr: 'b', hasQuestion: false, value: { kind: 'Identifier', name: 'a' } } });
    expect(expr('a?[0]')).toMatchObject({ kind: 'SubscriptExpr', hasQuestion: true, isSlice: false, index: { raw: '0' } });
    expect(expr('a[1:2:3]')).toMatchObject({ kind: 'SubscriptExpr', isSlice: true, lower: { raw: '1' }, upper: { raw: '2' }, step: { raw: '3' } });
    const all = expr('a[::2]');
    expect(all).toMatchObject({ isSlice: true, step: { raw: '2' } });
    expect(all).not.toHaveProperty('lower.kind');
    expect(expr('a[:-1]')).toMatchObject({ isSlice: true, upper: { kind: 'UnaryExpr', op: '-' } });
  });

  it('reads calls with positional and keyword arguments', () => {
    expect(expr('f(1, xs, k=2)')).toMatchObject({
      kind: 'CallExpr', func: { name: 'f' },
      args: [{ raw: '1' }, { name: 'xs' }],
      keywords: [{ kind: 'Keyword', name: 'k', value: { raw: '2' } }],
    });
    // like the reference, no unpacking in calls
    expect(parse('x = f(*xs)\n', 'main.k').diagnostics[0]).toMatchObject({ code: 'E1001', span: { col: 7 } });
    expect(expr('f(\n    1,\n    k = 2,\n)')).toMatchObject({ kind: 'CallExpr', args: [{ raw: '1' }], keywords: [{ name: 'k' }] });
    expect(expr('f(1 2)')).toMatchObject({ kind: 'CallExpr', args: [{ raw: '1' }, { raw: '2' }] });
  });

  it('reads schema expressions with and without arguments', () => {
    expect(expr('S {a: 1}')).toMatchObject({ kind: 'SchemaExpr', name: { kind: 'Identifier', name: 'S' }, args: [], config: { kind: 'ConfigExpr', entries: [{ key: { name: 'a' } }] } });
    expect(expr('pkg.S(1, k=2) {}')).toMatchObject({ kind: 'SchemaExpr', name: { kind: 'SelectorExpr', attr: 'S' }, args: [{ raw: '1' }], keywords: [{ name: 'k' }], config: { entries: [] } });
  });

  it('reads $-prefixed names as identifiers without the $', () => {
    expect(expr('$type')).toMatchObject({ kind: 'Identifier', name: 'type' });
    expect(expr('a.$if')).toMatchObject({ kind: 'SelectorExpr', attr: 'if' });
  });
});

describe('lambdas and quantifiers', () => {
  it('reads a typed lambda with a statement body', () => {
    const e = expr('lambda x: int, y = 1 -> int {\n    z = x + y\n    z\n}');
    expect(e).toMatchObject({
      kind: 'LambdaExpr',
      params: [{ name: 'x', type: { kind: 'BasicType', name: 'int' } }, { name: 'y', default: { raw: '1' } }],
      returnType: { kind: 'BasicType', name: 'int' },
      body: [{ kind: 'AssignStmt' }, { kind: 'ExprStmt' }],
    });
  });

  it('reads one-line and parameterless lambdas and immediate calls', () => {
    expect(expr('lambda { 1 }')).toMatchObject({ kind: 'LambdaExpr', params: [], body: [{ kind: 'ExprStmt' }] });
    expect(expr('(lambda x { x })(1)')).toMatchObject({ kind: 'CallExpr', func: { kind: 'ParenExpr' } });
  });

  it('reads lambda bodies with nested blocks', () => {
    const e = expr('lambda x {\n    if x:\n        y = 1\n    else:\n        y = 2\n    y\n}');
    expect(e).toMatchObject({ kind: 'LambdaExpr', body: [{ kind: 'IfStmt', body: [{ kind: 'AssignStmt' }], orelse: [{ kind: 'AssignStmt' }] }, { kind: 'ExprStmt' }] });
  });

  it.each(['all', 'any', 'map', 'filter'])('reads %s', (op) => {
    expect(expr(`${op} x in xs { x > 1 }`)).toMatchObject({ kind: 'QuantExpr', op, variables: [{ name: 'x' }], target: { name: 'xs' }, test: { kind: 'CompareExpr' } });
  });

  it('reads two variables and a trailing if', () => {
    const e = expr('filter k, v in d { v if k != "a" }');
    expect(e).toMatchObject({ kind: 'QuantExpr', op: 'filter', variables: [{ name: 'k' }, { name: 'v' }], test: { name: 'v' }, ifCond: { kind: 'CompareExpr' } });
  });

  it('reads `if` in a quantifier body as the filter only, as the reference does', () => {
    expect(parse('x = map x in xs { 1 if x else 2 }\n', 'main.k').diagnostics[0]).toMatchObject({ code: 'E1001', span: { col: 26 } });
    expect(expr('map x in xs { (1 if x else 2) }')).toMatchObject({ test: { kind: 'ParenExpr', expr: { kind: 'IfExpr' } } });
  });

  it('does not read the quantifier body as a schema expression', () => {
    expect(expr('all x in a.b { x }')).toMatchObject({ kind: 'QuantExpr', target: { kind: 'SelectorExpr' } });
  });
});
