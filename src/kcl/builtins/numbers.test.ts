// Rounding of exact decimal expansions, checked against Rust's `format!` (via the reference's
// str.format, kcl-lib 0.13.2): ties go to even on the exact binary value.
import { describe, expect, test } from '@jest/globals';
import { exactDecimal, roundHalfAway, toExponentialExact, toFixedExact } from './numbers.js';

describe('exact decimal expansion', () => {
  test('doubles expand exactly', () => {
    expect(exactDecimal(0.1)).toEqual({ int: '0', frac: '1000000000000000055511151231257827021181583404541015625' });
    expect(exactDecimal(2.5)).toEqual({ int: '2', frac: '5' });
    expect(exactDecimal(1e21)).toEqual({ int: '1000000000000000000000', frac: '' });
  });
  test('fixed notation rounds ties to even', () => {
    expect(toFixedExact(2.5, 0)).toBe('2');
    expect(toFixedExact(3.5, 0)).toBe('4');
    expect(toFixedExact(0.125, 2)).toBe('0.12');
    expect(toFixedExact(0.05, 1)).toBe('0.1');
    expect(toFixedExact(9.999, 2)).toBe('10.00');
    expect(toFixedExact(1e20, 6)).toBe('100000000000000000000.000000');
  });
  test('exponent notation', () => {
    expect(toExponentialExact(12345.678, 6)).toEqual({ mantissa: '1.234568', exponent: 4 });
    expect(toExponentialExact(9.99, 1)).toEqual({ mantissa: '1.0', exponent: 1 });
    expect(toExponentialExact(0.000123, 2)).toEqual({ mantissa: '1.23', exponent: -4 });
    expect(toExponentialExact(0, 2)).toEqual({ mantissa: '0.00', exponent: 0 });
  });
  test('round() halves away from zero', () => {
    expect(roundHalfAway(2.5)).toBe(3);
    expect(roundHalfAway(-2.5)).toBe(-3);
    expect(roundHalfAway(0.49999999999999994)).toBe(0);
  });
});
