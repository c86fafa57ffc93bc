import { describe, expect, it } from '@jest/globals';
import { decodeString } from './strings.js';

const decode = (content: string, raw = false) => decodeString(content, 0, content.length, raw);
const text = (content: string, raw = false) => decode(content, raw).pieces.map((p) => p.text ?? `<${content.slice(p.exprStart, p.exprEnd)}>`).join('');

describe('string contents', () => {
  it('resolves escapes', () => {
    expect(text('a\\nb\\tc\\\\d\\\'e\\"f')).toBe('a\nb\tc\\d\'e"f');
    expect(text('\\x41\\u00e9\\101\\0')).toBe('AéA\0');
    expect(text('\\U0001F600')).toBe('😀');
  });

  it('reads an escaped surrogate as U+FFFD, a pair too, like the reference', () => {
    // kcl-lib 0.13.2: "\ud800" -> "\ufffd", "x\ud83d\ude00y" -> "x\ufffd\ufffdy", "\U0000d800" -> "\ufffd".
    expect(text('\\ud800')).toBe('\ufffd');
    expect(text('x\\ud83d\\ude00y')).toBe('x\ufffd\ufffdy');
    expect(text('\\U0000d800')).toBe('\ufffd');
    expect(text('\\U0001F600')).toBe('😀');
  });

  it('keeps unknown escapes with their backslash, like the reference', () => {
    expect(text('a\\qb')).toBe('a\\qb');
    expect(decode('a\\qb').errorAt).toBeUndefined();
  });

  it('flags \\N as invalid string syntax at the backslash', () => {
    expect(decode('ab\\N').errorAt).toBe(2);
  });

  it('joins a backslash-newline', () => {
    expect(text('a\\\nb')).toBe('ab');
  });

  it('leaves raw strings untouched', () => {
    expect(text('\\d+${x}', true)).toBe('\\d+${x}');
  });

  it('splits interpolations with their offsets', () => {
    const { pieces } = decode('x${a + 1}y');
    expect(pieces).toEqual([
      { text: 'x', start: 0, end: 1 },
      { exprStart: 3, exprEnd: 8, formatSpec: undefined, start: 1, end: 9 },
      { text: 'y', start: 9, end: 10 },
    ]);
  });

  it('separates a format spec after the first top-level colon', () => {
    const [piece] = decode('${data: #yaml}').pieces;
    expect([piece!.exprStart, piece!.exprEnd, piece!.formatSpec]).toEqual([2, 6, '#yaml']);
    const [slice] = decode('${a[0:1]}').pieces;
    expect(slice!.formatSpec).toBeUndefined();
  });

  it('treats \\${ as a literal ${', () => {
    expect(decode('\\${a}').pieces).toEqual([{ text: '${a}', start: 0, end: 5 }]);
  });

  it('reports an interpolation without its closing brace', () => {
    expect(decode('a${b').errorAt).toBe(1);
  });
});
