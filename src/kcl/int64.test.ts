import { describe, expect, test } from '@jest/globals';
import {
  I64_MAX, I64_MIN, floatToInt, intAbs, intAdd, intBitwise, intCompare, intFloorDiv, intInvert, intMod, intMul, intNeg,
  intPow, intPowSaturating, intPowWrapping, intShl, intShr, intSub, normInt, parseDecimalI64, parseIntLiteral,
} from './int64.js';
import { KclError } from './diagnostics.js';
import fc from 'fast-check';
import { compile } from './program.js';
import { plainToJson, toKcl, toPlain } from './convert.js';
import { renderExports } from './yaml-output.js';
import { KDict } from './value.js';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    return e instanceof KclError ? e.diagnostic.code : 'not a KclError';
  }
}

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

describe('normal form', () => {
  test('safe integers are numbers, anything wider a bigint', () => {
    expect(normInt(SAFE)).toBe(Number.MAX_SAFE_INTEGER);
    expect(normInt(-SAFE)).toBe(-Number.MAX_SAFE_INTEGER);
    expect(normInt(SAFE + 1n)).toBe(SAFE + 1n);
    expect(normInt(-SAFE - 1n)).toBe(-SAFE - 1n);
  });
  test('every operation hands back the normal form', () => {
    expect(intSub(SAFE + 1n, 1, undefined)).toBe(Number.MAX_SAFE_INTEGER);
    expect(intAdd(Number.MAX_SAFE_INTEGER, 1, undefined)).toBe(SAFE + 1n);
    expect(intMul(-1, 0, undefined)).toBe(0);
    expect(Object.is(intFloorDiv(0, -5, undefined), -0)).toBe(false);
  });
});

describe('checked arithmetic at the i64 edges', () => {
  test('+ - * overflow only beyond i64', () => {
    expect(intAdd(I64_MAX - 1n, 1, undefined)).toBe(I64_MAX);
    expect(codeOf(() => intAdd(I64_MAX, 1, undefined))).toBe('E3K09');
    expect(codeOf(() => intSub(I64_MIN, 1, undefined))).toBe('E3K09');
    expect(intMul(3037000499, 3037000499, undefined)).toBe(9223372030926249001n);
    expect(codeOf(() => intMul(3037000500, 3037000500, undefined))).toBe('E3K09');
  });
  test('** is checked and takes no negative exponent; pow() saturates; math.pow wraps', () => {
    expect(intPow(2, 62, undefined)).toBe(4611686018427387904n);
    expect(intPow(-2, 63, undefined)).toBe(I64_MIN);
    expect(codeOf(() => intPow(2, 63, undefined))).toBe('E3K09');
    expect(codeOf(() => intPow(2, -1, undefined))).toBe('E3K09');
    expect(codeOf(() => intPow(2, 1e12, undefined))).toBe('E3K09');
    expect(intPowSaturating(2, 64)).toBe(I64_MAX);
    expect(intPowSaturating(-2, 65)).toBe(I64_MIN);
    expect(intPowWrapping(3, 40)).toBe(-6289078614652622815n);
  });
  test('shifts wrap below 64 and overflow from 64 on', () => {
    expect(intShl(1, 63, undefined)).toBe(I64_MIN);
    expect(intShl(3, 62, undefined)).toBe(-4611686018427387904n);
    expect(codeOf(() => intShl(1, 64, undefined))).toBe('E3K09');
    expect(codeOf(() => intShr(1, 64, undefined))).toBe('E3K09');
    expect(intShr(I64_MIN, 63, undefined)).toBe(-1);
  });
  test('negation and abs wrap; // and % of i64::MIN by -1 fail', () => {
    expect(intNeg(I64_MIN)).toBe(I64_MIN);
    expect(intAbs(I64_MIN)).toBe(I64_MIN);
    expect(intInvert(Number.MAX_SAFE_INTEGER)).toBe(-SAFE - 1n);
    expect(codeOf(() => intFloorDiv(I64_MIN, -1, undefined))).toBe('E3K09');
    expect(codeOf(() => intMod(I64_MIN, -1, undefined))).toBe('E3K09');
  });
});

describe('conversions', () => {
  test('literals are u64 wrapped into i64', () => {
    expect(parseIntLiteral('9223372036854775808')).toBe(I64_MIN);
    expect(parseIntLiteral('0xFFFF_FFFF_FFFF_FFFF')).toBe(-1);
    expect(parseIntLiteral('0o777777777777777777777')).toBe(I64_MAX);
    expect(parseIntLiteral('18446744073709551616')).toBeUndefined();
  });
  test('float to int saturates, NaN is 0', () => {
    expect(floatToInt(1e20)).toBe(I64_MAX);
    expect(floatToInt(-1e20)).toBe(I64_MIN);
    expect(floatToInt(NaN)).toBe(0);
    expect(floatToInt(-0.5)).toBe(0);
  });
  test('decimal strings parse within i64 only', () => {
    expect(parseDecimalI64('-9223372036854775808')).toBe(I64_MIN);
    expect(parseDecimalI64('9223372036854775808')).toBeUndefined();
  });
});

describe('agreement with exact BigInt arithmetic (property)', () => {
  const i64 = fc.bigInt({ min: I64_MIN, max: I64_MAX }).map(normInt);
  const near = fc.oneof(i64, fc.integer({ min: -1000, max: 1000 }), fc.constantFrom(0, 1, -1, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER));
  const exactOrOverflow = (f: () => unknown, exact: bigint) => {
    if (exact < I64_MIN || exact > I64_MAX) expect(codeOf(f)).toBe('E3K09');
    else expect(f()).toBe(normInt(exact));
  };
  test('+ - * match BigInt within i64 and overflow beyond', () => {
    fc.assert(
      fc.property(near, near, (a, b) => {
        const x = BigInt(a);
        const y = BigInt(b);
        exactOrOverflow(() => intAdd(a, b, undefined), x + y);
        exactOrOverflow(() => intSub(a, b, undefined), x - y);
        exactOrOverflow(() => intMul(a, b, undefined), x * y);
      }),
    );
  });
  test('// and % floor like Python and agree with each other', () => {
    fc.assert(
      fc.property(near, near, (a, b) => {
        if (b === 0 || (BigInt(a) === I64_MIN && BigInt(b) === -1n)) return;
        const q = BigInt(intFloorDiv(a, b, undefined));
        const r = BigInt(intMod(a, b, undefined));
        expect(q * BigInt(b) + r).toBe(BigInt(a));
        expect(r === 0n || r < 0n === BigInt(b) < 0n).toBe(true);
        expect(intCompare(r < 0n ? -r : r, b < 0 ? -BigInt(b) : BigInt(b))).toBe(-1);
      }),
    );
  });
  test('bitwise ops match BigInt', () => {
    fc.assert(
      fc.property(near, near, (a, b) => {
        expect(intBitwise('&', a, b)).toBe(normInt(BigInt(a) & BigInt(b)));
        expect(intBitwise('|', a, b)).toBe(normInt(BigInt(a) | BigInt(b)));
        expect(intBitwise('^', a, b)).toBe(normInt(BigInt(a) ^ BigInt(b)));
      }),
    );
  });
});

describe('big ints leaving the interpreter', () => {
  test('YAML output, str() and toPlain keep every digit; plainToJson writes them', () => {
    const c = compile('a = 9223372036854775807\nb = str(-9007199254740993)\nc = [9007199254740993]', 'main.k');
    if (!c.ok) throw new Error(c.diagnostics[0]!.message);
    const r = c.program.run({});
    if (!r.ok) throw new Error(r.diagnostic.message);
    expect(renderExports(r.exports)).toBe("a: 9223372036854775807\nb: '-9007199254740993'\nc:\n- 9007199254740993\n");
    const plain = toPlain(new KDict(r.exports));
    expect(plain).toEqual({ a: I64_MAX, b: '-9007199254740993', c: [9007199254740993n] });
    expect(plainToJson(plain)).toBe('{"a":9223372036854775807,"b":"-9007199254740993","c":[9007199254740993]}');
    expect(plainToJson({ x: [1, 'y', null, true, 1.5], z: undefined })).toBe(JSON.stringify({ x: [1, 'y', null, true, 1.5] }));
  });
  test('toKcl takes exact bigints (JSON.parse cannot carry them) and saturates beyond i64', () => {
    expect(toKcl(9007199254740993n)).toBe(9007199254740993n);
    expect(toKcl(5n)).toBe(5);
    expect(toKcl(2n ** 70n)).toBe(I64_MAX);
    expect(toKcl(2 ** 60)).toBe(2n ** 60n);
  });
});

describe('shift fast paths agree with BigInt', () => {
  test('<< and >> on numbers', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), fc.integer({ min: 0, max: 63 }), (a, b) => {
        expect(intShl(a, b, undefined)).toBe(normInt(BigInt.asIntN(64, BigInt(a) << BigInt(b))));
        expect(intShr(a, b, undefined)).toBe(normInt(BigInt(a) >> BigInt(b)));
      }),
    );
  });
});
