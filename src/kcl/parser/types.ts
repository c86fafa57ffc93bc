/**
 * Type annotations: `int`, `[T]`, `{K:V}`, unions `A | B`, literal types, dotted schema
 * names, `any`, and function types `(int, str) -> bool`.
 */
import type { Type } from '../ast.js';
import { isOp } from '../lexer/tokens.js';
import { decodeString } from '../lexer/strings.js';
import type { Parser } from './parser.js';

/** What the reference lists when a type is missing. */
const TYPE_START = ['any', 'bool', 'int', 'float', 'str', 'True', 'False', 'identifier', 'literal', '[', '{', ')'];

export function parseType(p: Parser): Type {
  p.enter();
  try {
    const first = p.tok;
    const head = parseSingleType(p);
    if (!p.atOp('|') || !p.sameLine) return head;
    const types: Type[] = [head];
    while (p.atOp('|') && p.sameLine) {
      p.next();
      types.push(parseSingleType(p));
    }
    return { kind: 'UnionType', types, span: p.spanFrom(first) };
  } finally {
    p.leave();
  }
}

function parseSingleType(p: Parser): Type {
  const t = p.tok;
  if (p.atNewlineOperand()) {
    p.errorExpected(TYPE_START);
    return { kind: 'AnyType', span: p.tokenSpan(t) };
  }
  if (t.kind === 'name') {
    if (!t.dollar) {
      switch (t.value) {
        case 'any':
          p.next();
          return { kind: 'AnyType', span: p.tokenSpan(t) };
        case 'int': case 'float': case 'str': case 'bool':
          p.next();
          return { kind: 'BasicType', name: t.value, span: p.tokenSpan(t) };
        case 'True': case 'False':
          p.next();
          return { kind: 'LiteralType', value: t.value === 'True', valueKind: 'bool', raw: t.value, span: p.tokenSpan(t) };
        case 'None':
          p.next();
          return { kind: 'LiteralType', value: null, valueKind: 'none', raw: t.value, span: p.tokenSpan(t) };
      }
    }
    p.next();
    let name = t.value;
    while (p.atOp('.') && p.sameLine && p.peek().kind === 'name') {
      p.next();
      name += '.' + p.next().value;
    }
    return { kind: 'NamedType', name, span: p.spanFrom(t) };
  }
  if (t.kind === 'string') {
    p.next();
    const info = t.string!;
    const decoded = decodeString(p.source, info.contentStart, info.contentEnd, info.isRaw);
    const value = decoded.pieces.map((piece) => piece.text ?? p.source.slice(piece.start, piece.end)).join('');
    return { kind: 'LiteralType', value, valueKind: 'str', raw: t.value, span: p.tokenSpan(t) };
  }
  if (t.kind === 'number') {
    // Like the reference, no sign: `-1` is not a literal type.
    p.next();
    const num = t.number!;
    return {
      kind: 'LiteralType', value: num.value, valueKind: num.isFloat ? 'float' : 'int', ...(num.suffix ? { suffix: num.suffix } : {}),
      raw: t.value, span: p.tokenSpan(t),
    };
  }
  if (isOp(t, '[')) {
    p.next();
    const elem = p.atOp(']') ? undefined : parseType(p);
    p.expectOp(']');
    return { kind: 'ListType', ...(elem ? { elem } : {}), span: p.spanFrom(t) };
  }
  if (isOp(t, '{')) {
    p.next();
    const key = p.atOp(':') ? undefined : parseType(p);
    let value: Type | undefined;
    if (p.expectOp(':')) value = p.atOp('}') ? undefined : parseType(p);
    p.expectOp('}');
    return { kind: 'DictType', ...(key ? { key } : {}), ...(value ? { value } : {}), span: p.spanFrom(t) };
  }
  if (isOp(t, '(')) {
    p.next();
    const params: Type[] = [];
    while (!p.atOp(')') && !p.atEof) {
      const before = p.pos;
      params.push(parseType(p));
      if (!p.eatOp(',') || p.pos === before) break;
    }
    p.expectOp(')');
    const ret = p.eatOp('->') ? parseType(p) : undefined;
    return { kind: 'FunctionType', params, ...(ret ? { ret } : {}), span: p.spanFrom(t) };
  }
  p.errorExpected(TYPE_START);
  return { kind: 'AnyType', span: p.tokenSpan(t) };
}
