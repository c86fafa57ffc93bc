import { describe, expect, it, jest } from '@jest/globals';
import { decodeAdmissionReview, MAX_UID_CHARS } from '../../src/admission/decode.js';
import { reviewAdmission } from '../../src/admission/review.js';
import { toEngineRequest } from '../../src/admission/to-engine-request.js';
import { thrown, thrownCode } from '../support/error-codes.js';
import { FIXTURE_NAMES, decision, decodePatch, fixture, recordingHandler } from './helpers.js';

describe('decodeAdmissionReview', () => {
  it.each(FIXTURE_NAMES)('accepts the recorded %s review', (name) => {
    const body = fixture(name);
    expect(decodeAdmissionReview(body).request.uid).toBe(body.request.uid);
  });

  it('refuses a body that is not an object (A4005)', () => {
    expect(thrownCode(() => decodeAdmissionReview([1, 2]))).toBe('A4005');
    expect(thrownCode(() => decodeAdmissionReview('AdmissionReview'))).toBe('A4005');
    expect(thrownCode(() => decodeAdmissionReview(null))).toBe('A4005');
  });

  it('refuses the wrong apiVersion or kind (A4005)', () => {
    const v1beta1 = { ...fixture('pod-create'), apiVersion: 'admission.k8s.io/v1beta1' };
    expect(thrownCode(() => decodeAdmissionReview(v1beta1))).toBe('A4005');
    const pod = { ...fixture('pod-create'), kind: 'Pod' };
    expect(thrownCode(() => decodeAdmissionReview(pod))).toBe('A4005');
    const { apiVersion: _, ...noVersion } = fixture('pod-create');
    expect(thrownCode(() => decodeAdmissionReview(noVersion))).toBe('A4005');
  });

  it('refuses a review without request, uid, kind, resource or operation (A4006)', () => {
    const body = fixture('pod-create');
    expect(thrownCode(() => decodeAdmissionReview({ apiVersion: body.apiVersion, kind: body.kind }))).toBe('A4006');
    for (const field of ['uid', 'kind', 'resource', 'operation']) {
      const copy = fixture('pod-create');
      delete copy.request[field];
      expect(thrownCode(() => decodeAdmissionReview(copy))).toBe('A4006');
    }
  });

  it('refuses an empty uid, an unknown operation and a non-object object (A4006)', () => {
    const emptyUid = fixture('pod-create');
    emptyUid.request.uid = '';
    expect(thrownCode(() => decodeAdmissionReview(emptyUid))).toBe('A4006');
    // A forged megabyte uid would be repeated in the answer and every log line about it.
    const hugeUid = fixture('pod-create');
    hugeUid.request.uid = 'u'.repeat(MAX_UID_CHARS + 1);
    expect(thrownCode(() => decodeAdmissionReview(hugeUid))).toBe('A4006');
    const longestUid = fixture('pod-create');
    longestUid.request.uid = 'u'.repeat(MAX_UID_CHARS);
    expect(decodeAdmissionReview(longestUid).request.uid).toBe(longestUid.request.uid);
    const badOperation = fixture('pod-create');
    badOperation.request.operation = 'PATCH';
    expect(thrownCode(() => decodeAdmissionReview(badOperation))).toBe('A4006');
    const stringObject = fixture('pod-create');
    stringObject.request.object = 'a pod';
    expect(thrownCode(() => decodeAdmissionReview(stringObject))).toBe('A4006');
  });

  it('names the offending field in the message', () => {
    const copy = fixture('pod-create');
    delete copy.request.uid;
    copy.request.kind.version = 7;
    const error = thrown(() => decodeAdmissionReview(copy)) as Error;
    expect(error).toMatchObject({ code: 'A4006' });
    expect(error.message).toContain('request.uid');
    expect(error.message).toContain('request.kind.version');
  });
});

describe('toEngineRequest', () => {
  it('splits the objects from the request view and keeps everything else', () => {
    const body = fixture('deployment-update');
    const request = toEngineRequest(decodeAdmissionReview(body).request, 'validate', 12345);
    expect(request.phase).toBe('validate');
    expect(request.operation).toBe('UPDATE');
    expect(request.kind).toEqual({ group: 'apps', version: 'v1', kind: 'Deployment' });
    expect(request.resource).toEqual({ group: 'apps', version: 'v1', resource: 'deployments' });
    expect(request.object).toEqual(body.request.object);
    expect(request.oldObject).toEqual(body.request.oldObject);
    expect(request.requestView).not.toHaveProperty('object');
    expect(request.requestView).not.toHaveProperty('oldObject');
    expect(request.requestView.options).toEqual(body.request.options);
    expect(request.requestView.uid).toBe(body.request.uid);
    expect(request.userInfo.extra).toEqual(body.request.userInfo.extra);
    expect(request.deadline).toBe(12345);
    expect(request.dryRun).toBe(false);
  });

  it('gives DELETE only the old object', () => {
    const request = toEngineRequest(decodeAdmissionReview(fixture('configmap-delete')).request, 'validate', 0);
    expect(request.operation).toBe('DELETE');
    expect(request.object).toBeUndefined();
    expect(request.oldObject?.kind).toBe('ConfigMap');
  });

  it('passes dryRun and subresources through', () => {
    const dry = toEngineRequest(decodeAdmissionReview(fixture('namespace-create-dryrun')).request, 'mutate', 0);
    expect(dry.dryRun).toBe(true);
    const scale = toEngineRequest(decodeAdmissionReview(fixture('deployment-scale-update')).request, 'validate', 0);
    expect(scale.subResource).toBe('scale');
    expect(scale.kind.kind).toBe('Scale');
    expect(scale.resource.resource).toBe('deployments');
    const status = toEngineRequest(decodeAdmissionReview(fixture('pod-status-update')).request, 'validate', 0);
    expect(status.subResource).toBe('status');
  });

  it('uses an empty namespace for cluster-scoped objects sent without one', () => {
    const body = fixture('crd-certificate-create');
    delete body.request.namespace;
    expect(toEngineRequest(decodeAdmissionReview(body).request, 'mutate', 0).namespace).toBe('');
  });
});

describe('reviewAdmission', () => {
  it.each(FIXTURE_NAMES)('echoes the uid of %s on every path', async (name) => {
    const uid = fixture(name).request.uid;
    const answers = [
      decision(),
      decision({ allowed: false, denial: { kind: 'violation', message: 'no', policies: ['p'] } }),
      decision({ patch: [{ op: 'add', path: '/metadata/labels/x', value: 'y' }] }),
    ];
    for (const answer of answers) {
      for (const phase of ['mutate', 'validate'] as const) {
        const result = await reviewAdmission({ phase, body: fixture(name), handler: recordingHandler(answer).handler });
        expect(result.httpStatus).toBe(200);
        expect('response' in result.body && result.body.response.uid).toBe(uid);
      }
    }
    const thrown = await reviewAdmission({
      phase: 'mutate',
      body: fixture(name),
      handler: async () => {
        throw new Error('boom');
      },
    });
    expect('response' in thrown.body && thrown.body.response.uid).toBe(uid);
  });

  it('answers with an AdmissionReview envelope', async () => {
    const result = await reviewAdmission({ phase: 'validate', body: fixture('pod-create'), handler: recordingHandler(decision()).handler });
    expect(result.body).toMatchObject({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' });
    expect(result.decision).toBe('allowed');
  });

  it('sends the patch from /mutate as base64 JSONPatch', async () => {
    const patch = [
      { op: 'add', path: '/metadata/annotations/owner', value: 'team-a' },
      { op: 'replace', path: '/spec/containers/0/image', value: 'nginx:1.27.1' },
    ];
    const result = await reviewAdmission({ phase: 'mutate', body: fixture('pod-create'), handler: recordingHandler(decision({ patch })).handler });
    if (!('response' in result.body)) throw new Error('expected a review');
    expect(result.body.response.patchType).toBe('JSONPatch');
    expect(decodePatch(result.body.response.patch!)).toEqual(patch);
    expect(result.decision).toBe('patched');
  });

  it('never sends a patch from /validate', async () => {
    const patch = [{ op: 'add', path: '/metadata/labels/x', value: 'y' }];
    const result = await reviewAdmission({ phase: 'validate', body: fixture('pod-create'), handler: recordingHandler(decision({ patch })).handler });
    if (!('response' in result.body)) throw new Error('expected a review');
    expect(result.body.response.allowed).toBe(true);
    expect(result.body.response).not.toHaveProperty('patch');
    expect(result.body.response).not.toHaveProperty('patchType');
    expect(result.droppedPatch).toBe(true);
  });

  it('sends no patchType for an empty patch', async () => {
    const result = await reviewAdmission({ phase: 'mutate', body: fixture('pod-create'), handler: recordingHandler(decision()).handler });
    if (!('response' in result.body)) throw new Error('expected a review');
    expect(result.body.response).not.toHaveProperty('patchType');
    expect(result.body.response).not.toHaveProperty('patch');
  });

  it('never sends a patch with a denial', async () => {
    const result = await reviewAdmission({
      phase: 'mutate',
      body: fixture('pod-create'),
      handler: recordingHandler(
        decision({ allowed: false, denial: { kind: 'violation', message: 'no', policies: ['p'] }, patch: [{ op: 'remove', path: '/spec' }] }),
      ).handler,
    });
    if (!('response' in result.body)) throw new Error('expected a review');
    expect(result.body.response.allowed).toBe(false);
    expect(result.body.response).not.toHaveProperty('patch');
  });

  it('turns a thrown engine error into allowed:false code 500 naming the cause, not an HTTP 500', async () => {
    const result = await reviewAdmission({
      phase: 'validate',
      body: fixture('deployment-update'),
      handler: async () => {
        throw new Error('policy cache corrupted\nsecond line');
      },
    });
    expect(result.httpStatus).toBe(200);
    expect(result.decision).toBe('errored');
    if (!('response' in result.body)) throw new Error('expected a review');
    expect(result.body.response.allowed).toBe(false);
    expect(result.body.response.status?.code).toBe(500);
    expect(result.body.response.status?.message).toContain('A5001');
    expect(result.body.response.status?.message).toContain('policy cache corrupted');
    expect(result.body.response.status?.message).not.toContain('\n');
  });

  it('treats a synchronous throw and a malformed decision as engine failures', async () => {
    const sync = await reviewAdmission({
      phase: 'mutate',
      body: fixture('pod-create'),
      handler: (() => {
        throw new TypeError('not a function');
      }) as never,
    });
    expect(sync.decision).toBe('errored');
    const malformed = await reviewAdmission({ phase: 'mutate', body: fixture('pod-create'), handler: async () => ({}) as never });
    expect(malformed.decision).toBe('errored');
  });

  it('answers at the deadline when the engine hangs', async () => {
    // ?timeout=1s leaves a 900 ms deadline; fake time makes "at" exact.
    jest.useFakeTimers({ now: 1_700_000_000_000, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    try {
      let answered = false;
      const pending = reviewAdmission({
        phase: 'validate',
        body: fixture('pod-create'),
        timeout: '1s',
        handler: () => new Promise(() => undefined),
      }).then((result) => {
        answered = true;
        return result;
      });
      await jest.advanceTimersByTimeAsync(899);
      expect(answered).toBe(false);
      await jest.advanceTimersByTimeAsync(1);
      expect(answered).toBe(true);
      expect((await pending).decision).toBe('errored');
    } finally {
      jest.useRealTimers();
    }
  });

  it('budgets the deadline from ?timeout= minus a safety margin', async () => {
    const { handler, seen } = recordingHandler(decision());
    await reviewAdmission({ phase: 'mutate', body: fixture('pod-create'), timeout: '10s', handler, now: 1_000_000 });
    await reviewAdmission({ phase: 'mutate', body: fixture('pod-create'), timeout: '1s', handler, now: 1_000_000 });
    await reviewAdmission({ phase: 'mutate', body: fixture('pod-create'), handler, now: 1_000_000 });
    expect(seen.map((r) => r.deadline)).toEqual([1_009_500, 1_000_900, 1_009_500]);
  });

  it('refuses a malformed ?timeout= with A4008', async () => {
    const result = await reviewAdmission({ phase: 'mutate', body: fixture('pod-create'), timeout: 'ten', handler: recordingHandler(decision()).handler });
    expect(result.httpStatus).toBe(400);
    expect(result.body).toMatchObject({ code: 'A4008' });
  });

  it('passes dryRun to the engine', async () => {
    const { handler, seen } = recordingHandler(decision());
    await reviewAdmission({ phase: 'mutate', body: fixture('namespace-create-dryrun'), handler });
    expect(seen[0]?.dryRun).toBe(true);
  });

  it('carries warnings and audit annotations, dropping invalid annotation keys', async () => {
    const result = await reviewAdmission({
      phase: 'validate',
      body: fixture('pod-create'),
      handler: recordingHandler(
        decision({
          warnings: ['policy team-a/labels failed:\nKeyError at main.k:3:5'],
          auditAnnotations: { 'team-a.labels': 'failed: KeyError', 'not a key!': 'x' },
        }),
      ).handler,
    });
    if (!('response' in result.body)) throw new Error('expected a review');
    expect(result.body.response.warnings).toEqual(['policy team-a/labels failed: KeyError at main.k:3:5']);
    expect(result.body.response.auditAnnotations).toEqual({ 'team-a.labels': 'failed: KeyError' });
    expect(result.droppedAuditKeys).toEqual(['not a key!']);
  });
});
