import { describe, expect, it } from '@jest/globals';
import { clipText, singleLine, truncateRunes } from './messages.js';

describe('bounded text', () => {
  it('truncateRunes counts code points and keeps maxRunes - 1 of them before the ellipsis', () => {
    expect(truncateRunes('abc', 3)).toBe('abc');
    expect(truncateRunes('abcd', 3)).toBe('ab…');
    const emoji = '😀'.repeat(5);
    expect(truncateRunes(emoji, 5)).toBe(emoji);
    expect(truncateRunes(emoji, 4)).toBe('😀😀😀…');
    // A lone surrogate is one code point, as Array.from counts it.
    expect(truncateRunes('\ud800\ud800\ud800', 2)).toBe('\ud800…');
    expect(truncateRunes('x'.repeat(4_000_000), 256)).toHaveLength(256);
  });

  it('clipText never splits a surrogate pair', () => {
    expect(clipText('abc', 3)).toBe('abc');
    expect(clipText('abcd', 3)).toBe('ab…');
    expect(clipText('a😀bc', 3)).toBe('a…');
    expect(clipText('ab😀c', 4)).toBe('ab…');
  });

  it('singleLine collapses whitespace before it truncates', () => {
    expect(singleLine('a\n\n b\tc', 10)).toBe('a b c');
    expect(singleLine(`${'y'.repeat(10)}\n${'z'.repeat(10)}`, 5)).toBe('yyyy…');
  });
});
