/**
 * How KCL values print as text: `str(v)` and `"${v}"` (displayValue), the short forms used in
 * error messages (shortDisplay, typedDisplay), and the two float formats the reference uses
 * (Rust `Display` for str(), ryu for YAML/JSON output).
 *
 * The reference's display rules, checked against kcl-lib 0.13.2:
 *   - strings print raw at the top and inside lists (`str(["a"])` is `[a]`, `str([""])` is `[]`),
 *     but quoted when they are a dict key or value (`{'k': 'v'}`);
 *   - a quoted string uses `'...'` unless it holds a `"`, then `"..."`; only when it holds both
 *     quote kinds are the `"` escaped; nothing else is escaped (newlines stay raw);
 *   - True/False/None/Undefined, floats always with a fraction (`1.0`, never an exponent),
 *     unit numbers as their literal (`1Gi`), schema instances like dicts (unset optional
 *     attributes as Undefined), functions and schema types as `function`.
 */
import {
  KDict,
  KFloat,
  KFunction,
  KModule,
  KUnit,
  SchemaInstance,
  UNDEFINED,
  isSchemaType,
  typeName,
  type Value,
} from './value.js';
import { TextBudget, unlimitedText } from './budget.js';
import { KclError } from './diagnostics.js';

/**
 * The `str(v)` / interpolation form. With a budget the text is measured while it is written
 * (K9004 at the first byte past the limit, one step per value and per BYTES_PER_STEP bytes);
 * without one it is unbounded, for callers outside a run.
 */
export function displayValue(v: Value, budget?: TextBudget): string {
  if (typeof v === 'string') {
    budget?.add(v.length);
    return v;
  }
  if (!Array.isArray(v) && !(v instanceof KDict) && !(v instanceof SchemaInstance)) {
    const s = displayScalar(v, false);
    budget?.add(s.length);
    return s;
  }
  const out: string[] = [];
  writeDisplay(v, false, out, budget ?? unlimitedText());
  return out.join('');
}

/** Characters of a value an error message shows before it is cut short (`...`). */
const MESSAGE_CHARS = 1024;

/**
 * The `str()` form of a value inside an error message: cut short after MESSAGE_CHARS
 * characters, so a message never holds (or costs) a whole huge value.
 */
export function displayForMessage(v: Value): string {
  const out: string[] = [];
  try {
    writeDisplay(v, false, out, new TextBudget(MESSAGE_CHARS));
  } catch (e) {
    if (!(e instanceof KclError)) throw e;
    return `${out.join('').slice(0, MESSAGE_CHARS)}...`;
  }
  return out.join('');
}

function displayScalar(v: Value, insideDict: boolean): string {
  if (typeof v === 'string') return insideDict ? quoteForDisplay(v) : v;
  if (v === null) return 'None';
  if (v === UNDEFINED) return 'Undefined';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number' || typeof v === 'bigint') return formatInt(v);
  if (v instanceof KFloat) return displayFloat(v.value);
  if (v instanceof KUnit) return v.toString();
  if (v instanceof KFunction || isSchemaType(v)) return 'function';
  // The reference interpolates a module as Undefined.
  if (v instanceof KModule) return 'Undefined';
  return String(v);
}

/** Appends the display of `v` to `out`, counting every piece against `budget` first. */
function writeDisplay(v: Value, insideDict: boolean, out: string[], budget: TextBudget): void {
  budget.node();
  if (Array.isArray(v)) {
    budget.add(2);
    out.push('[');
    for (let i = 0; i < v.length; i++) {
      if (i > 0) {
        budget.add(2);
        out.push(', ');
      }
      writeDisplay(v[i]!, false, out, budget);
    }
    out.push(']');
    return;
  }
  if (v instanceof KDict || v instanceof SchemaInstance) {
    budget.add(2);
    out.push('{');
    let first = true;
    for (const [k, val] of v instanceof KDict ? v.entries : v.attrs) {
      const key = quoteForDisplay(k);
      budget.add(key.length + (first ? 2 : 4));
      out.push(first ? '' : ', ', key, ': ');
      first = false;
      writeDisplay(val, true, out, budget);
    }
    out.push('}');
    return;
  }
  const s = displayScalar(v, insideDict);
  budget.add(s.length);
  out.push(s);
}

/** An int in decimal, never in exponent form (JS would print 1e21 for large values). */
export function formatInt(n: number | bigint): string {
  if (typeof n === 'bigint') return n.toString();
  return Number.isSafeInteger(n) || !Number.isFinite(n) ? String(n) : BigInt(n).toString();
}

/** The reference's quoting of a string inside a displayed dict. */
export function quoteForDisplay(s: string): string {
  if (!s.includes('"')) return `'${s}'`;
  if (!s.includes("'")) return `"${s}"`;
  return `"${s.replace(/"/g, '\\"')}"`;
}

/** Shortest round-trip decimal digits of a finite, non-zero |x| and the decimal point position. */
function shortestDigits(x: number): { digits: string; point: number } {
  const [mantissa, exp] = Math.abs(x).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  return { digits, point: Number(exp) + 1 };
}

const POWERS_OF_TEN = Array.from({ length: 309 }, (_, i) => Number(`1e${i}`));

/**
 * The float the reference's YAML output (`kcl run`, `yaml.encode`) holds for x. It writes the
 * value as JSON and reads that text back with serde_json's default float parser, which is not
 * correctly rounded: the shortest digits as an integer (rounded to a double), then multiplied
 * or divided by a power of ten. For about one computed float in five the result is one ulp off
 * (`1 + 2 / 3` outputs `1.6666666666666663`); `str()` and `json.encode` keep the exact value.
 */
export function jsonReparsedFloat(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const { digits, point } = shortestDigits(x);
  let exponent = point - digits.length;
  let f = Number(BigInt(digits));
  for (;;) {
    const pow = POWERS_OF_TEN[Math.abs(exponent)];
    if (pow !== undefined) {
      f = exponent >= 0 ? f * pow : f / pow;
      break;
    }
    // Only tiny values get here (|exponent| > 308 needs a negative exponent): divide in steps.
    f /= 1e308;
    exponent += 308;
  }
  return x < 0 ? -f : f;
}

/** A float as `str()` prints it: Rust's `Display` (no exponent), `.0` added when integral. */
export function displayFloat(x: number): string {
  // The reference appends `.0` to every float whose text has no `.`, these included.
  if (Number.isNaN(x)) return 'NaN.0';
  if (!Number.isFinite(x)) return x > 0 ? 'inf.0' : '-inf.0';
  // A computed negative zero keeps its sign (`str(0.0 * -1)` is `-0.0`).
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const { digits, point } = shortestDigits(x);
  const sign = x < 0 ? '-' : '';
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}.0`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/**
 * A float as the YAML/JSON output prints it (the ryu crate's format): fixed notation for
 * decimal exponents from -5 to 15, scientific (`1e16`, `1.5e-7`) outside; always a `.0` or
 * exponent so it reads back as a float. `json.encode` writes positive exponents as `e+20`.
 */
export function formatFloatForOutput(x: number, exponentPlus = false): string {
  if (Number.isNaN(x)) return '.nan';
  if (!Number.isFinite(x)) return x > 0 ? '.inf' : '-.inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const { digits, point } = shortestDigits(x);
  const sign = x < 0 ? '-' : '';
  const len = digits.length;
  if (point >= len && point <= 16) return `${sign}${digits}${'0'.repeat(point - len)}.0`;
  if (point > 0 && point <= 16) return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
  if (point > -5 && point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  const exp = `${exponentPlus && point > 1 ? '+' : ''}${point - 1}`;
  return len === 1 ? `${sign}${digits}e${exp}` : `${sign}${digits[0]}.${digits.slice(1)}e${exp}`;
}

/**
 * The one-word form error messages use for a value (`conflicting values ... between 1 and
 * "x"`): scalars as JSON, containers abbreviated to `[...]` / `{...}`.
 */
export function shortDisplay(v: Value): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || v === UNDEFINED) return 'null';
  if (typeof v === 'boolean' || typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (v instanceof KFloat) return formatFloatForOutput(v.value);
  if (v instanceof KUnit) return formatFloatForOutput(v.toNumber());
  if (Array.isArray(v)) return '[...]';
  if (v instanceof KDict || v instanceof SchemaInstance) return '{...}';
  return typeName(v);
}

/** Values an error message describes before it abbreviates the rest (`...`). */
const TYPED_DISPLAY_NODES = 256;
/** Characters of one scalar an error message shows. */
const TYPED_DISPLAY_CHARS = 256;

/**
 * The `type(value)` form of type-mismatch messages (`expected int, got str(x)`), e.g.
 * `int(1)`, `bool(True)`, `number_multiplier(1Gi)`, `[int(1) | str(x)]`, `{str(k):str(v)}`.
 * A message stays small whatever the value: after TYPED_DISPLAY_NODES values the rest is `...`,
 * and a long scalar is cut at TYPED_DISPLAY_CHARS characters.
 */
export function typedDisplay(v: Value): string {
  const left = { nodes: TYPED_DISPLAY_NODES };
  return typed(v, left);
}

function typed(v: Value, left: { nodes: number }): string {
  if (--left.nodes < 0) return '...';
  if (Array.isArray(v)) return `[${uniqueJoin(v, (x) => typed(x, left), left)}]`;
  if (v instanceof KDict) {
    const keys = uniqueJoin(v.keys(), (k) => `str(${cut(k)})`, left);
    const vals = uniqueJoin(v.entries.values(), (x) => typed(x, left), left);
    return `{${keys}:${vals}}`;
  }
  if (v instanceof SchemaInstance) return v.schema.name;
  if (v === null || v === UNDEFINED) return typeName(v);
  if (v instanceof KFunction || v instanceof KModule || isSchemaType(v)) return typeName(v);
  return `${typeName(v)}(${cut(displayScalar(v, false))})`;
}

function cut(s: string): string {
  return s.length > TYPED_DISPLAY_CHARS ? `${s.slice(0, TYPED_DISPLAY_CHARS)}...` : s;
}

/** The distinct forms of `items`, joined by ` | `, until the node allowance runs out. */
function uniqueJoin<T>(items: Iterable<T>, form: (x: T) => string, left: { nodes: number }): string {
  const parts = new Set<string>();
  for (const item of items) {
    if (left.nodes <= 0) {
      parts.add('...');
      break;
    }
    parts.add(form(item));
  }
  return [...parts].join(' | ');
}
