import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { allowed, denied, errored, patched, review } from '../../src/admission/response.js';
import { deadlineFromTimeout, parseGoDuration } from '../../src/admission/timeout.js';
import { thrownCode } from '../support/error-codes.js';
import {
  MAX_TOTAL_WARNING_RUNES,
  MAX_WARNING_RUNES,
  runeLength,
  sanitizeWarnings,
} from '../../src/admission/warnings.js';
import { decodePatch } from './helpers.js';

describe('response builders', () => {
  it('allowed echoes the uid and carries nothing else by default', () => {
    expect(allowed('u1')).toEqual({ uid: 'u1', allowed: true });
    expect(review(allowed('u1'))).toEqual({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'u1', allowed: true } });
  });

  it('denied keeps a code >= 400 and replaces anything else with 403', () => {
    expect(denied('u', { code: 422, message: 'bad' }).status).toEqual({ code: 422, message: 'bad' });
    for (const code of [200, 0, -1, 399, 600, 403.5, Number.NaN]) {
      expect(denied('u', { code, message: 'm' }).status?.code).toBe(403);
    }
    expect(denied('u', { message: 'm' }).status?.code).toBe(403);
    expect(denied('u', { code: 500, message: 'm', reason: 'InternalError' }).status?.reason).toBe('InternalError');
    expect(denied('u', {}).allowed).toBe(false);
  });

  it("denied keeps a message's lines and tabs but no terminal controls, which kubectl would print raw", () => {
    // ESC sequences recolour or rewrite the user's terminal; CR overwrites the line; a bidi override reorders it.
    const hostile = 'bad image\u001b[2J\u001b]0;pwned\u0007\r\nnext\tline\u202eevil\u0085\u009b';
    expect(denied('u', { message: hostile }).status?.message).toBe('bad image [2J ]0;pwned\nnext\tline evil');
    expect(denied('u', { message: 'line one\nline two' }).status?.message).toBe('line one\nline two');
  });

  it('patched encodes a non-empty RFC 6902 patch and drops an empty one', () => {
    const ops = [{ op: 'add', path: '/metadata/labels/ünï', value: '☃' }];
    const response = patched('u', ops);
    expect(response.patchType).toBe('JSONPatch');
    expect(response.patch).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(decodePatch(response.patch!)).toEqual(ops);
    expect(patched('u', [])).toEqual({ uid: 'u', allowed: true });
  });

  it('errored denies with 500 and a single-line message', () => {
    const response = errored('u', 'line one\r\nline two');
    expect(response).toMatchObject({ uid: 'u', allowed: false, status: { code: 500 } });
    expect(response.status?.message).toContain('line one line two');
    expect(errored('u', '').status?.message).toContain('unknown error');
  });

  it('omits empty warnings and annotations, keeps valid ones', () => {
    expect(allowed('u', { warnings: ['', '  '], auditAnnotations: {} })).toEqual({ uid: 'u', allowed: true });
    expect(allowed('u', { warnings: ['w'], auditAnnotations: { 'policy.x': 'v', '-bad': 'v' } })).toEqual({
      uid: 'u',
      allowed: true,
      warnings: ['w'],
      auditAnnotations: { 'policy.x': 'v' },
    });
  });
});

describe('warnings', () => {
  it('makes each warning a single line', () => {
    expect(sanitizeWarnings(['a\nb', 'c\td\u2028e', '\u0000x\u0085'])).toEqual(['a b', 'c d e', 'x']);
  });

  it('truncates a warning to 256 runes with an ellipsis, counting code points not UTF-16 units', () => {
    const emoji = '😀'.repeat(300);
    const [truncated] = sanitizeWarnings([emoji]);
    expect(runeLength(truncated!)).toBe(MAX_WARNING_RUNES);
    expect(truncated!.endsWith('…')).toBe(true);
    expect(truncated!.startsWith('😀'.repeat(255))).toBe(true);
    const exact = 'x'.repeat(256);
    expect(sanitizeWarnings([exact])).toEqual([exact]);
  });

  it('keeps the total within 4096 runes and says how many were left out', () => {
    const many = Array.from({ length: 40 }, (_, i) => `${i}:${'w'.repeat(250)}`);
    const kept = sanitizeWarnings(many);
    const total = kept.reduce((sum, w) => sum + runeLength(w), 0);
    expect(total).toBeLessThanOrEqual(MAX_TOTAL_WARNING_RUNES);
    expect(kept[kept.length - 1]).toMatch(/^\d+ more warnings not shown/);
    expect(kept.length).toBeLessThan(many.length);
  });

  it('holds the limits for any input (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme', maxLength: 600 }), { maxLength: 60 }), (warnings) => {
        const kept = sanitizeWarnings(warnings);
        let total = 0;
        for (const w of kept) {
          expect(runeLength(w)).toBeLessThanOrEqual(MAX_WARNING_RUNES);
          expect(w).not.toMatch(/[\n\r\u2028\u2029]/);
          expect(w.length).toBeGreaterThan(0);
          total += runeLength(w);
        }
        expect(total).toBeLessThanOrEqual(MAX_TOTAL_WARNING_RUNES);
      }),
      { numRuns: 200 },
    );
  });
});

describe('timeout', () => {
  it('parses Go durations as the API server writes them', () => {
    expect(parseGoDuration('10s')).toBe(10_000);
    expect(parseGoDuration('1m0s')).toBe(60_000);
    expect(parseGoDuration('1.5s')).toBe(1500);
    expect(parseGoDuration('250ms')).toBe(250);
    expect(parseGoDuration('1h2m3s')).toBe(3_723_000);
    expect(parseGoDuration('10')).toBeUndefined();
    expect(parseGoDuration('s')).toBeUndefined();
    expect(parseGoDuration('10 s')).toBeUndefined();
    expect(parseGoDuration('')).toBeUndefined();
  });

  it('clamps to 30 s and keeps a margin', () => {
    expect(deadlineFromTimeout('5m', 0)).toBe(29_500);
    expect(deadlineFromTimeout('2s', 0)).toBe(1800);
    expect(deadlineFromTimeout(undefined, 0)).toBe(9500);
  });

  it('refuses zero, negative-looking and junk timeouts with A4008', () => {
    for (const bad of ['0s', '-1s', 'abc', '1e3s']) {
      expect(thrownCode(() => deadlineFromTimeout(bad, 0))).toBe('A4008');
    }
  });
});
