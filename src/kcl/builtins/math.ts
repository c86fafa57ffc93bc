/**
 * The `math` system module, with the reference's (kcl-lib 0.13.2) result types: ceil/floor of a
 * float give an int, log/log2 of an int give a truncated int, log's base counts only when it is
 * a float, log1p(x) is ln(x + 2) there (kept: policies must not see different numbers).
 */
import { KFloat, KModule, type Value } from '../value.js';
import { member, type Args } from './args.js';
import { floatToInt, intPowWrapping, isInt, normInt, toBigInt, type Int } from '../int64.js';

/** Rust's `f64 as i64`: truncates and saturates (NaN -> 0), so `math.log(0)` is -2^63. */
function saturatingInt(x: number, _a: Args): Int {
  return floatToInt(x);
}

function numArg(a: Args, fn: string): { x: number; isInt: boolean } {
  const v = a.get(0);
  if (typeof v === 'number') return { x: v, isInt: true };
  if (typeof v === 'bigint') return { x: Number(v), isInt: true };
  if (typeof v === 'boolean') return { x: v ? 1 : 0, isInt: true };
  if (v instanceof KFloat) return { x: v.value, isInt: false };
  throw a.fail(`${fn}() takes exactly one argument (0 given)`);
}

function factorial(n: number, a: Args): Int {
  if (n >= 21) throw a.fail('factorial() result overflow');
  let r = 1n;
  for (let i = 2n; i <= BigInt(n); i++) r *= i;
  return normInt(r);
}

const f = (x: number) => new KFloat(x);

/** The first argument when it is an int, exactly (a bigint stays one); `fallback` for a bool. */
function exactArg(a: Args, fallback: number): Int {
  const v = a.get(0);
  return isInt(v) ? v : fallback;
}

export function mathModule(): KModule {
  const m = (name: string, params: string[], impl: (a: Args) => Value) => member('math', name, params, impl);
  return new KModule(
    'math',
    new Map<string, Value>([
      m('ceil', ['x'], (a) => {
        const { x, isInt } = numArg(a, 'ceil');
        return isInt ? exactArg(a, x) : saturatingInt(Math.ceil(x), a);
      }),
      m('floor', ['x'], (a) => {
        const { x, isInt } = numArg(a, 'floor');
        return isInt ? exactArg(a, x) : saturatingInt(Math.floor(x), a);
      }),
      m('factorial', ['x'], (a) => {
        const { x, isInt } = numArg(a, 'factorial');
        if (x < 0 || !Number.isInteger(x)) throw a.fail('factorial() only accepts integral values');
        const r = factorial(x, a);
        return isInt ? r : f(Number(r));
      }),
      m('gcd', ['a', 'b'], (a) => {
        let x = toBigInt(a.exactInt(0));
        let y = toBigInt(a.exactInt(1));
        if (x < 0n) x = -x;
        if (y < 0n) y = -y;
        while (y) [x, y] = [y, x % y];
        return normInt(x);
      }),
      m('isfinite', ['x'], (a) => Number.isFinite(numArg(a, 'isfinite').x)),
      m('isinf', ['x'], (a) => {
        const { x } = numArg(a, 'isinf');
        return !Number.isFinite(x) && !Number.isNaN(x);
      }),
      m('isnan', ['x'], (a) => Number.isNaN(numArg(a, 'isnan').x)),
      m('exp', ['x'], (a) => f(Math.exp(numArg(a, 'exp').x))),
      m('expm1', ['x'], (a) => f(Math.expm1(numArg(a, 'expm1').x))),
      m('log', ['x', 'e'], (a) => {
        const { x, isInt } = numArg(a, 'log');
        const base = a.get(1);
        const r = base instanceof KFloat ? Math.log(x) / Math.log(base.value) : Math.log(x);
        return isInt ? saturatingInt(r, a) : f(r);
      }),
      m('log1p', ['x'], (a) => f(Math.log1p(numArg(a, 'log1p').x + 1))),
      m('log2', ['x'], (a) => {
        const { x, isInt } = numArg(a, 'log2');
        return isInt ? saturatingInt(Math.log2(x), a) : f(Math.log2(x));
      }),
      m('log10', ['x'], (a) => f(Math.log10(numArg(a, 'log10').x))),
      m('modf', ['x'], (a) => {
        const { x } = numArg(a, 'modf');
        if (!Number.isFinite(x)) return Number.isNaN(x) ? [f(x), f(x)] : [f(x > 0 ? 0 : -0), f(x)];
        return [f(x - Math.trunc(x)), f(Math.trunc(x))];
      }),
      m('pow', ['x', 'n'], (a) => {
        const x = numArg(a, 'pow');
        const nv = a.get(1);
        const n = isInt(nv) ? Number(nv) : nv instanceof KFloat ? nv.value : NaN;
        // The reference's int pow wraps around in i64 (`math.pow(3, 40)` is negative).
        if (x.isInt && isInt(nv) && n >= 0) return intPowWrapping(exactArg(a, x.x), nv);
        return f(Math.pow(x.x, n));
      }),
      m('sqrt', ['x'], (a) => f(Math.sqrt(numArg(a, 'sqrt').x))),
    ]),
  );
}
