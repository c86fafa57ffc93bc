/**
 * KCL number-multiplier suffixes (`500m`, `1Gi`, ...): the one table the lexer, `int()`/`float()`
 * of unit strings and the `units` module share. Decimal suffixes are SI powers of 1000, the `i`
 * suffixes powers of 1024, as in the reference's units module.
 */
import { KUnit } from './value.js';

export const UNIT_MULTIPLIERS: Readonly<Record<string, number>> = Object.freeze({
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  Pi: 1024 ** 5,
});

export function isUnitSuffix(suffix: string): boolean {
  return Object.prototype.hasOwnProperty.call(UNIT_MULTIPLIERS, suffix);
}

/** The multiplier of a suffix, or undefined when it is not a KCL unit suffix. */
export function unitMultiplier(suffix: string): number | undefined {
  return isUnitSuffix(suffix) ? UNIT_MULTIPLIERS[suffix] : undefined;
}

/** Builds the KUnit for `value` with `suffix` (the caller has checked the suffix). */
export function makeUnit(value: number, suffix: string): KUnit {
  return new KUnit(value, suffix, UNIT_MULTIPLIERS[suffix]);
}

const UNIT_STRING = /^([0-9]+(?:\.[0-9]+)?)([a-zA-Z]{1,2})$/;

/**
 * Parses a quantity string such as `"1Gi"` or `"500m"` into the number it stands for
 * (`1073741824`, `0.5`); undefined when the text is not a number with a known suffix.
 */
export function parseUnitString(text: string): number | undefined {
  const m = UNIT_STRING.exec(text);
  if (!m || !isUnitSuffix(m[2])) return undefined;
  return Number(m[1]) * UNIT_MULTIPLIERS[m[2]];
}
