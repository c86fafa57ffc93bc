import { describe, expect, it } from '@jest/globals';
import { AnswerCache, MAX_PLAIN_KEY_CHARS, OutageState } from './answer-cache.js';

function cache(maxEntries = 10): AnswerCache {
  return new AnswerCache({ allowedTtlMs: 60_000, deniedTtlMs: 60_000, graceMs: 0, staleAfterMs: 500, maxEntries, now: () => 0 }, new OutageState());
}

/** The keys the cache holds (internal: what its memory is made of). */
function storedKeys(answers: AnswerCache): string[] {
  return [...(answers as unknown as { entries: Map<string, unknown> }).entries.keys()];
}

describe('AnswerCache keys built from hostile reviews', () => {
  it('keeps a megabyte key as a short digest, and tells keys apart that differ only at the end', async () => {
    const answers = cache();
    const prefix = 'u'.repeat(1024 * 1024);
    let asked = 0;
    const ask = (allowed: boolean) => async () => {
      asked += 1;
      return { allowed, fresh: true };
    };
    expect((await answers.get(`${prefix}a`, ask(true))).allowed).toBe(true);
    expect((await answers.get(`${prefix}b`, ask(false))).allowed).toBe(false);
    expect((await answers.get(`${prefix}a`, ask(false))).allowed).toBe(true);
    expect(asked).toBe(2);
    expect(storedKeys(answers)).toHaveLength(2);
    for (const key of storedKeys(answers)) expect(key.length).toBeLessThanOrEqual(MAX_PLAIN_KEY_CHARS);
  });

  it('keeps short keys as they are', async () => {
    const answers = cache();
    await answers.get('["ns","sa","get"]', async () => ({ allowed: true, fresh: true }));
    expect(storedKeys(answers)).toEqual(['["ns","sa","get"]']);
  });
});
