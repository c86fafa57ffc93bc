// Which failed SubjectAccessReviews are the API server refusing one question, and which say it is
// unavailable (the answer caches' outage mode): only the second may make every other check fail.
import { describe, expect, it } from '@jest/globals';
import { ApiException } from '@kubernetes/client-node';
import { QuestionRefusedError } from '../engine/index.js';
import { refusedOrAsIs } from './sar-authorizer.js';

describe('refusedOrAsIs', () => {
  it.each([400, 403, 404, 413, 422])('HTTP %i refuses the question only', (status) => {
    const error = refusedOrAsIs(new ApiException(status, 'refused', {}, {}));
    expect(error).toBeInstanceOf(QuestionRefusedError);
    expect((error as QuestionRefusedError).status).toBe(status);
  });

  it.each([408, 429, 500, 503])('HTTP %i is the API server failing, passed on as it is', (status) => {
    const original = new ApiException(status, 'unavailable', {}, {});
    expect(refusedOrAsIs(original)).toBe(original);
  });

  it('a connection error is passed on as it is', () => {
    const original = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(refusedOrAsIs(original)).toBe(original);
  });
});
