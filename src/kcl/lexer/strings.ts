/**
 * String literal contents: escape decoding and splitting `${...}` interpolations out of the
 * text. Works on offsets into the original source so interpolated expressions keep their
 * real positions.
 */

export interface StringPiece {
  /** Literal text with escapes resolved. */
  readonly text?: string;
  /** An interpolation: offsets of the expression text inside `${...}` and its format spec. */
  readonly exprStart?: number;
  readonly exprEnd?: number;
  readonly formatSpec?: string;
  /** Offsets of the whole `${...}`. */
  readonly start: number;
  readonly end: number;
}

export interface DecodedString {
  readonly pieces: StringPiece[];
  /** Offset of the first malformed escape or interpolation, if any. */
  readonly errorAt?: number;
  readonly errorMessage?: string;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v',
  '0': '\0', $: '$', '\n': '',
};

/**
 * Decodes `source[start, end)`. Raw strings keep backslashes and do not interpolate.
 * Unknown escapes keep their backslash (`"\q"` is `\q`), as the reference does.
 */
export function decodeString(source: string, start: number, end: number, isRaw: boolean): DecodedString {
  if (isRaw) return { pieces: [{ text: source.slice(start, end), start, end }] };
  const pieces: StringPiece[] = [];
  let chunk: string[] = [];
  let chunkStart = start;
  let errorAt: number | undefined;
  let errorMessage: string | undefined;
  let i = start;
  let plainFrom = start;
  const flushPlain = (to: number): void => {
    if (to > plainFrom) chunk.push(source.slice(plainFrom, to));
  };
  const flushChunk = (to: number): void => {
    if (chunk.length > 0) pieces.push({ text: chunk.join(''), start: chunkStart, end: to });
    chunk = [];
  };
  while (i < end) {
    const c = source[i]!;
    if (c === '\\' && i + 1 < end) {
      flushPlain(i);
      const e = source[i + 1]!;
      if (e === '\r' && source[i + 2] === '\n') { i += 3; plainFrom = i; continue; }
      const simple = SIMPLE_ESCAPES[e];
      if (simple !== undefined && !(e === '0' && /[0-7]/.test(source[i + 2] ?? ''))) {
        chunk.push(simple);
        i += 2;
      } else if (e === 'x' || e === 'u' || e === 'U') {
        const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
        const hex = source.slice(i + 2, i + 2 + len);
        if (hex.length === len && /^[0-9a-fA-F]+$/.test(hex) && i + 2 + len <= end) {
          const code = parseInt(hex, 16);
          // A surrogate is not a character: the reference reads each as U+FFFD, a pair too. A
          // lone one kept would reach the API server, which stores U+FFFD, and a mutating policy
          // would then change the object again on every review.
          if (code >= 0xd800 && code <= 0xdfff) chunk.push('\ufffd');
          else if (code <= 0x10ffff) chunk.push(String.fromCodePoint(code));
          else if (errorAt === undefined) { errorAt = i; errorMessage = 'invalid string syntax'; }
          i += 2 + len;
        } else {
          if (errorAt === undefined) { errorAt = i; errorMessage = 'invalid string syntax'; }
          chunk.push(source.slice(i, i + 2));
          i += 2;
        }
      } else if (e >= '0' && e <= '7') {
        let j = i + 1;
        while (j < end && j < i + 4 && source[j]! >= '0' && source[j]! <= '7') j++;
        chunk.push(String.fromCharCode(parseInt(source.slice(i + 1, j), 8)));
        i = j;
      } else if (e === 'N') {
        if (errorAt === undefined) { errorAt = i; errorMessage = 'invalid string syntax'; }
        chunk.push(source.slice(i, i + 2));
        i += 2;
      } else {
        chunk.push(source.slice(i, i + 2));
        i += 2;
      }
      plainFrom = i;
      continue;
    }
    if (c === '$' && source[i + 1] === '{') {
      flushPlain(i);
      flushChunk(i);
      const close = findInterpolationEnd(source, i + 2, end);
      if (close < 0) {
        if (errorAt === undefined) { errorAt = i; errorMessage = 'invalid joined string'; }
        chunk.push(source.slice(i, end));
        i = end;
        plainFrom = end;
        chunkStart = end;
        break;
      }
      let exprEnd = close;
      let formatSpec: string | undefined;
      const colon = findSpecColon(source, i + 2, close);
      if (colon >= 0) {
        formatSpec = source.slice(colon + 1, close).trim();
        exprEnd = colon;
      }
      pieces.push({ exprStart: i + 2, exprEnd, formatSpec, start: i, end: close + 1 });
      i = close + 1;
      plainFrom = i;
      chunkStart = i;
      continue;
    }
    i++;
  }
  flushPlain(end);
  flushChunk(end);
  const result: DecodedString = errorAt === undefined ? { pieces } : { pieces, errorAt, errorMessage };
  return result;
}

/**
 * The offset of the `}` closing an interpolation starting at `from`, or -1. Like the
 * reference, the first `}` closes it, so `"${ {a: 1} }"` is a syntax error there and here.
 */
function findInterpolationEnd(source: string, from: number, end: number): number {
  const i = source.indexOf('}', from);
  return i >= 0 && i < end ? i : -1;
}

/** The `:` introducing a format spec (`${x: #json}`): the first one outside brackets. */
function findSpecColon(source: string, from: number, end: number): number {
  let depth = 0;
  for (let i = from; i < end; i++) {
    const c = source[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === ':' && depth === 0) return i;
  }
  return -1;
}
