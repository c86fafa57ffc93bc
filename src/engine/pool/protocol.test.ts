/** The job protocol between the pool and a policy worker: what crosses, and that it comes back the same. */
import { describe, expect, it } from '@jest/globals';
import { admissionParts, type EngineRequest } from '../contract.js';
import type { RunJob } from '../executor.js';
import { request as fixtureRequest } from '../testing/fixtures.js';
import { decodeJob, encodeJob } from './protocol.js';

/** An AdmissionRequest as the API server sends it, with `__proto__` keys as hostile data may hold. */
function reviewText(): string {
  return (
    '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{' +
    '"uid":"u-1","kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},' +
    '"namespace":"team-a","operation":"UPDATE","userInfo":{"username":"alice","groups":["dev"]},"dryRun":false,' +
    '"__proto__":{"polluted":true},' +
    '"object":{"metadata":{"name":"web","labels":{"__proto__":"x"}},"spec":{"containers":[{"name":"c","image":"nginx"}]}},' +
    '"oldObject":{"metadata":{"name":"web"}}}}'
  );
}

function jobFor(text: string): RunJob {
  const parts = admissionParts((JSON.parse(text) as { request: Record<string, unknown> }).request);
  const request: EngineRequest = { ...fixtureRequest({ operation: 'UPDATE', deadline: 1_800_000_000_000 }), reviewText: text, ...parts };
  return { generation: 3, request, policies: [{ key: 'team-a/a', carry: true }, { key: 'team-a/b', carry: false }], knownFailures: { 'team-a/c': { error: 'e', summary: 's' } } };
}

describe('the job protocol', () => {
  it('splits a request into its objects and the request view, keeping __proto__ keys as data', () => {
    const request = (JSON.parse(reviewText()) as { request: Record<string, unknown> }).request;
    const { object, oldObject, requestView } = admissionParts(request);
    expect(object).toBe(request.object);
    expect(oldObject).toBe(request.oldObject);
    expect(Object.keys(requestView)).toEqual(Object.keys(request).filter((key) => key !== 'object' && key !== 'oldObject'));
    expect(Object.getPrototypeOf(requestView)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(requestView, '__proto__')?.value).toEqual({ polluted: true });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(admissionParts({ uid: 'u' })).toEqual({ requestView: { uid: 'u' } });
  });

  it('sends the review text beside the job and gives back the job the engine built', () => {
    const job = jobFor(reviewText());
    const sent = encodeJob(job);
    expect(sent.reviewText).toBe(job.request.reviewText);
    // The objects travel only in the review text.
    expect(sent.job).not.toContain('nginx');
    const received = decodeJob(sent.job, sent.reviewText);
    expect(received).toEqual(job);
    expect(Object.getOwnPropertyDescriptor(received.request.requestView, '__proto__')?.value).toEqual({ polluted: true });
    expect(Object.getOwnPropertyDescriptor((received.request.object!.metadata as Record<string, unknown>).labels, '__proto__')?.value).toBe('x');
  });

  it('sends a job without review text (audit, tests) whole as JSON', () => {
    const { reviewText: _text, ...request } = jobFor(reviewText()).request;
    const job: RunJob = { generation: 1, request, policies: [{ key: 'p', carry: true }] };
    const sent = encodeJob(job);
    expect(sent.reviewText).toBeUndefined();
    expect(decodeJob(sent.job, undefined)).toEqual(job);
  });
});
