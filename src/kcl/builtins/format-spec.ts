/**
 * `str.format`: Python's replacement fields and format-spec mini language as the reference
 * implements it (kcl-lib 0.13.2, a port of RustPython's): `{}`, `{0}`, `{name}`, `{0[1]}`,
 * `{0.key}`, `[[fill]align][sign][#][0][width][,|_][.precision][type]`. Its observable quirks
 * are kept: conversions (`!r`) are ignored, a float without a type prints in its own short form
 * (`1e+20`), precision is ignored for that form, an int formatted as `f`/`e`/`%` gets its sign
 * and padding applied twice, nested fields (`{0:{1}}`) are rejected.
 */
import { displayValue } from '../display.js';
import type { TextBudget } from '../budget.js';
import { KDict, KFloat, SchemaInstance, type Value } from '../value.js';
import { toExponentialExact, toFixedExact } from './numbers.js';

/** Thrown for a bad format string or spec; the caller turns it into an EvaluationError. */
export class FormatError extends Error {}

type Align = '<' | '>' | '=' | '^';
type Sign = '+' | '-' | ' ';

interface Spec {
  fill?: string;
  align?: Align;
  sign?: Sign;
  alternate: boolean;
  width?: number;
  grouping?: ',' | '_';
  precision?: number;
  type?: string;
}

const TYPES = 'sbcdoxXeEfFgGn%';

export function parseSpec(text: string): Spec {
  let rest = text;
  if (rest.startsWith('!') && rest.length >= 2) rest = rest.slice(2);
  const spec: Spec = { alternate: false };
  const chars = Array.from(rest);
  const isAlign = (c: string | undefined): c is Align => c === '<' || c === '>' || c === '=' || c === '^';
  if (chars.length >= 2 && isAlign(chars[1])) {
    spec.fill = chars[0];
    spec.align = chars[1];
    rest = chars.slice(2).join('');
  } else if (isAlign(chars[0])) {
    spec.align = chars[0];
    rest = chars.slice(1).join('');
  }
  if (rest[0] === '+' || rest[0] === '-' || rest[0] === ' ') {
    spec.sign = rest[0] as Sign;
    rest = rest.slice(1);
  }
  if (rest[0] === '#') {
    spec.alternate = true;
    rest = rest.slice(1);
  }
  let zero = false;
  if (rest[0] === '0') {
    zero = true;
    rest = rest.slice(1);
  }
  const width = /^\d+/.exec(rest);
  if (width) {
    spec.width = Number(width[0]);
    rest = rest.slice(width[0].length);
  }
  if (rest[0] === ',' || rest[0] === '_') {
    spec.grouping = rest[0];
    rest = rest.slice(1);
  }
  const precision = /^\.(\d+)/.exec(rest);
  if (precision) {
    spec.precision = Number(precision[1]);
    rest = rest.slice(precision[0].length);
  }
  if (rest.length > 0 && TYPES.includes(rest[0])) {
    spec.type = rest[0];
    rest = rest.slice(1);
  }
  if (rest.length > 0) throw new FormatError('Invalid format specifier');
  if (zero && spec.fill === undefined) {
    spec.fill = '0';
    spec.align = spec.align ?? '=';
  }
  return spec;
}

function charLength(s: string): number {
  return Array.from(s).length;
}

function signAndAlign(spec: Spec, magnitude: string, sign: string, defaultAlign: Align = '>'): string {
  const align = spec.align ?? defaultAlign;
  const fill = spec.fill ?? ' ';
  const needed = spec.width === undefined ? 0 : Math.max(0, spec.width - charLength(magnitude) - charLength(sign));
  const pad = (n: number) => fill.repeat(n);
  switch (align) {
    case '<':
      return sign + magnitude + pad(needed);
    case '>':
      return pad(needed) + sign + magnitude;
    case '=':
      return sign + pad(needed) + magnitude;
    case '^': {
      const left = Math.floor(needed / 2);
      return pad(left) + sign + magnitude + pad(needed - left);
    }
  }
}

function separatorInterval(type: string | undefined): number {
  if (type !== undefined && 'eEgG%cs'.includes(type)) throw new FormatError('Separators only valid for numbers!');
  return type === 'b' || type === 'o' || type === 'x' || type === 'X' ? 4 : 3;
}

function addSeparators(spec: Spec, magnitude: string): string {
  if (!spec.grouping) return magnitude;
  const interval = separatorInterval(spec.type);
  const [intPart, fracPart] = magnitude.split(/\.(.*)/s, 2);
  let out = '';
  let remaining = intPart.length;
  for (const c of intPart) {
    out += c;
    remaining--;
    if (remaining % interval === 0 && remaining > 0) out += spec.grouping;
  }
  return fracPart !== undefined ? `${out}.${fracPart}` : out;
}

function signFor(spec: Spec, negative: boolean): string {
  if (negative) return '-';
  return spec.sign === '+' ? '+' : spec.sign === ' ' ? ' ' : '';
}

function removeTrailingRedundant(s: string): string {
  if (!s.includes('.')) return s;
  return s.replace(/0+$/, '').replace(/\.$/, '');
}

function exponentSuffix(exp: number): string {
  const digits = String(Math.abs(exp)).padStart(2, '0');
  return `${exp < 0 ? '-' : '+'}${digits}`;
}

function nonFinite(x: number, upper: boolean): string | undefined {
  if (Number.isNaN(x)) return upper ? 'NAN' : 'nan';
  if (!Number.isFinite(x)) return upper ? 'INF' : 'inf';
  return undefined;
}

/** The reference's float_to_string: the form a float takes with no format type. */
export function floatToShortString(x: number): string {
  const special = nonFinite(x, false);
  if (special) return special;
  if (x === 0) return '0.0';
  const [mantissa, expText] = x.toExponential().split('e');
  const exp = Number(expText);
  if (exp < 16 && exp > -5) {
    const fixed = shortestFixed(x);
    return Math.abs(x - Math.round(x)) < Number.EPSILON && !fixed.includes('.') ? `${fixed}.0` : fixed;
  }
  return `${mantissa}e${exponentSuffix(exp)}`;
}

function shortestFixed(x: number): string {
  const [mantissa, expText] = Math.abs(x).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const point = Number(expText) + 1;
  const sign = x < 0 ? '-' : '';
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

function formatGeneral(precision: number, magnitude: number, upper: boolean): string {
  const special = nonFinite(magnitude, upper);
  if (special) return special;
  const { mantissa, exponent } = toExponentialExact(magnitude, Math.max(0, precision - 1));
  if (exponent < -4 || exponent >= precision) {
    const base = removeTrailingRedundant(mantissa.slice(0, precision + 1));
    return `${base}${upper ? 'E' : 'e'}${exponentSuffix(exponent)}`;
  }
  return removeTrailingRedundant(toFixedExact(magnitude, precision - 1 - exponent));
}

function formatFloat(spec: Spec, x: number): string {
  const precision = spec.precision ?? 6;
  const magnitude = Math.abs(x);
  const upper = spec.type !== undefined && spec.type === spec.type.toUpperCase() && spec.type !== '%';
  let raw: string;
  switch (spec.type) {
    case 'f':
    case 'F':
      raw = nonFinite(magnitude, upper) ?? toFixedExact(magnitude, precision);
      break;
    case 'e':
    case 'E': {
      raw = nonFinite(magnitude, upper) ?? '';
      if (!raw) {
        const { mantissa, exponent } = toExponentialExact(magnitude, precision);
        raw = `${mantissa}${upper ? 'E' : 'e'}${exponentSuffix(exponent)}`;
      }
      break;
    }
    case 'g':
    case 'G':
      raw = formatGeneral(precision === 0 ? 1 : precision, magnitude, upper);
      break;
    case '%':
      raw = Number.isNaN(magnitude)
        ? 'nan%'
        : !Number.isFinite(magnitude)
          ? 'inf%'
          : `${toFixedExact(magnitude * 100, precision)}%`;
      break;
    case 'n':
      throw new FormatError("Format code 'n' for object of type 'float' not implemented yet");
    case undefined:
      raw = floatToShortString(magnitude);
      break;
    default:
      throw new FormatError(`Unknown format code '${spec.type}' for object of type 'float'`);
  }
  const negative = (x < 0 || Object.is(x, -0)) && !Number.isNaN(x);
  return signAndAlign(spec, addSeparators(spec, raw), signFor(spec, negative));
}

function formatInt(spec: Spec, n: number | bigint): string {
  const magnitude = n < 0 ? -n : n;
  let prefix = '';
  if (spec.alternate) {
    prefix = { b: '0b', o: '0o', x: '0x', X: '0x' }[spec.type ?? ''] ?? '';
  }
  let raw: string;
  switch (spec.type) {
    case 'b':
      raw = magnitude.toString(2);
      break;
    case 'o':
      raw = magnitude.toString(8);
      break;
    case 'x':
      raw = magnitude.toString(16);
      break;
    case 'X':
      raw = magnitude.toString(16).toUpperCase();
      break;
    case 'd':
    case 'n':
    case undefined:
      raw = String(magnitude);
      break;
    case 'f':
    case 'F':
    case 'e':
    case 'E':
    case '%':
      // The reference formats the whole float (sign and padding included), then pads again.
      raw = formatFloat(spec, Number(n));
      break;
    default:
      throw new FormatError(`Unknown format code '${spec.type}' for object of type 'int'`);
  }
  return signAndAlign(spec, prefix + addSeparators(spec, raw), signFor(spec, n < 0));
}

function formatStr(spec: Spec, s: string): string {
  if (spec.type !== undefined && spec.type !== 's') {
    throw new FormatError(`Unknown format code '${spec.type}' for object of type 'str'`);
  }
  const text = spec.precision !== undefined ? Array.from(s).slice(0, spec.precision).join('') : s;
  return signAndAlign(spec, text, '', '<');
}

/** A value formatted with a spec (`format(v, spec)` in Python terms), counted against `budget`. */
export function formatWithSpec(v: Value, specText: string, budget?: TextBudget): string {
  let out: string;
  if (typeof v === 'number' || typeof v === 'bigint') out = formatInt(parseSpec(specText), v);
  else if (v instanceof KFloat) out = formatFloat(parseSpec(specText), v.value);
  else if (typeof v === 'string') out = formatStr(parseSpec(specText), v);
  else return displayValue(v, budget);
  budget?.add(out.length);
  return out;
}

type Part = { literal: string } | { field: string; spec: string };

function parseFormatString(text: string): Part[] {
  const parts: Part[] = [];
  const chars = Array.from(text);
  let literal = '';
  let i = 0;
  while (i < chars.length) {
    const c = chars[i];
    if ((c === '{' || c === '}') && chars[i + 1] === c) {
      literal += c;
      i += 2;
      continue;
    }
    if (c === '}') throw new FormatError('format error');
    if (c !== '{') {
      literal += c;
      i++;
      continue;
    }
    if (literal) parts.push({ literal });
    literal = '';
    let nested = false;
    let inner = '';
    let j = i + 1;
    for (; j < chars.length; j++) {
      const d = chars[j];
      if (d === '{') {
        if (nested) throw new FormatError('Invalid format specifier');
        nested = true;
      } else if (d === '}') {
        if (!nested) break;
        nested = false;
      }
      inner += d;
    }
    if (j >= chars.length) throw new FormatError('format error');
    const colon = inner.indexOf(':');
    const namePart = colon >= 0 ? inner.slice(0, colon) : inner;
    const spec = colon >= 0 ? inner.slice(colon + 1) : '';
    const bang = namePart.indexOf('!');
    parts.push({ field: bang >= 0 ? namePart.slice(0, bang) : namePart, spec });
    i = j + 1;
  }
  if (literal) parts.push({ literal });
  return parts;
}

function lookupPart(arg: Value, key: string, isIndex: boolean): Value {
  if (isIndex && Array.isArray(arg)) {
    const v = arg[Number(key)];
    if (v === undefined) throw new FormatError('list index out of range');
    return v;
  }
  const entries = arg instanceof KDict ? arg.entries : arg instanceof SchemaInstance ? arg.attrs : undefined;
  const v = entries?.get(key);
  if (v === undefined) throw new FormatError(`key '${key}' not found`);
  return v;
}

/** `"...".format(*args, **kwargs)`, the result counted against `budget` as it is built. */
export function formatString(template: string, args: readonly Value[], kwargs: ReadonlyMap<string, Value>, budget?: TextBudget): string {
  let out = '';
  let auto = 0;
  for (const part of parseFormatString(template)) {
    if ('literal' in part) {
      budget?.add(part.literal.length);
      out += part.literal;
      continue;
    }
    const m = /^([^.[]*)(.*)$/s.exec(part.field)!;
    const first = m[1];
    let arg: Value | undefined;
    if (first === '') {
      arg = args[auto++];
      if (arg === undefined) throw new FormatError('argument tuple index out of range');
    } else if (/^\d+$/.test(first)) {
      if (auto !== 0) {
        throw new FormatError('cannot switch from automatic field numbering to manual field specification');
      }
      arg = args[Number(first)];
      if (arg === undefined) throw new FormatError('argument tuple index out of range');
    } else {
      arg = kwargs.get(first);
      if (arg === undefined) throw new FormatError('keyword argument not found');
    }
    let rest = m[2];
    while (rest.length > 0) {
      const attr = /^\.([^.[]+)/.exec(rest);
      const index = /^\[([^\]]+)\]/.exec(rest);
      if (attr) {
        arg = lookupPart(arg, attr[1], false);
        rest = rest.slice(attr[0].length);
      } else if (index) {
        arg = lookupPart(arg, index[1], /^\d+$/.test(index[1]));
        rest = rest.slice(index[0].length);
      } else {
        throw new FormatError('format error');
      }
    }
    out += formatWithSpec(arg, part.spec, budget);
  }
  return out;
}
