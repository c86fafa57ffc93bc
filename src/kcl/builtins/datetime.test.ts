import { describe, expect, test } from '@jest/globals';
import { DATETIME_CASES } from './datetime.cases.js';
import { validateDate } from './datetime.js';
import { systemModule } from './index.js';
import { TestContext } from './test-support.js';
import type { KFunction } from '../value.js';

// Expected values come from the reference (kcl-lib 0.13.2), see datetime.cases.ts.
describe('datetime.validate agrees with the reference (kcl-lib 0.13.2)', () => {
  for (const c of DATETIME_CASES) {
    test(`${JSON.stringify(c.date)} ${JSON.stringify(c.format)}: ${c.why}`, () => {
      expect(validateDate(c.date, c.format)).toBe(c.valid);
    });
  }

  test('the module member answers the same', () => {
    const validate = systemModule('datetime')!.members.get('validate') as KFunction;
    for (const c of DATETIME_CASES.slice(0, 20)) {
      expect(validate.call({ args: [c.date, c.format], kwargs: new Map() }, new TestContext())).toBe(c.valid);
    }
  });

  test('long hostile input is linear and charged by length', () => {
    let steps = 0;
    const meter = { step: (n = 1) => void (steps += n) };
    const text = '1'.repeat(200_000) + 'x';
    const started = Date.now();
    expect(validateDate(text, '%Y'.repeat(50_000), meter)).toBe(false);
    expect(validateDate('+' + text, '%Y-%m-%d', meter)).toBe(false);
    expect(validateDate(' '.repeat(200_000) + '2024-01-05', ' '.repeat(1000) + '%Y-%m-%d', meter)).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(steps).toBeGreaterThan(30_000);
  });
});
