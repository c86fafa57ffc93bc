import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { CompiledPolicy, EngineRequest, Operation, PolicyDefinition } from '../engine/index.js';
import { parsePolicy, whyNotSelected } from '../engine/index.js';
import { clusterKclRun, kclRun, request } from '../engine/testing/fixtures.js';
import type { DiscoveredResource } from './discovery.js';
import { evaluateCondition, webhookVerdict, type Json } from './testing/api-server-match.js';
import { celString } from './webhook-cel.js';
import { fitConditions, MAX_MATCH_CONDITIONS, planWebhooks, POLICY_WRITES_KEY, type PlannedWebhook, type WebhookPlan } from './webhook-plan.js';
import { EXCLUDED_RESOURCES, MATCH_CONDITIONS } from './webhook-registration.js';

const source = 'items = option("items")';

/** A small cluster: core, apps (with the scale subresource), a CRD, and kclguard's own kinds. */
const DISCOVERY: DiscoveredResource[] = [
  { group: '', resource: 'configmaps', kind: 'ConfigMap', kindGroup: '' },
  { group: '', resource: 'secrets', kind: 'Secret', kindGroup: '' },
  { group: '', resource: 'namespaces', kind: 'Namespace', kindGroup: '' },
  { group: '', resource: 'pods', kind: 'Pod', kindGroup: '' },
  { group: '', resource: 'pods/status', kind: 'Pod', kindGroup: '' },
  { group: '', resource: 'pods/ephemeralcontainers', kind: 'Pod', kindGroup: '' },
  { group: '', resource: 'pods/resize', kind: 'Pod', kindGroup: '' },
  { group: '', resource: 'pods/exec', kind: 'PodExecOptions', kindGroup: '' },
  { group: 'apps', resource: 'deployments', kind: 'Deployment', kindGroup: 'apps' },
  { group: 'apps', resource: 'deployments/status', kind: 'Deployment', kindGroup: 'apps' },
  { group: 'apps', resource: 'deployments/scale', kind: 'Scale', kindGroup: 'autoscaling' },
  { group: 'apps', resource: 'statefulsets/scale', kind: 'Scale', kindGroup: 'autoscaling' },
  { group: 'example.com', resource: 'widgets', kind: 'Widget', kindGroup: 'example.com' },
  { group: 'krm.kcl.dev', resource: 'kclruns', kind: 'KCLRun', kindGroup: 'krm.kcl.dev' },
];

function compiled(doc: Json): CompiledPolicy {
  const parsed = parsePolicy(doc);
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  return { identity: parsed.policy.identity, state: 'ready', definition: parsed.policy, errors: [], diagnostics: [] };
}

const plan = (policies: CompiledPolicy[], discovery = DISCOVERY, maxSelectionChars?: number): WebhookPlan =>
  planWebhooks(policies, discovery, { fixedConditions: MATCH_CONDITIONS, ...(maxSelectionChars !== undefined ? { maxSelectionChars } : {}) });
/** With the selection on every webhook, also where the policies' rules imply it. */
const planKeepingSelection = (policies: CompiledPolicy[], discovery = DISCOVERY): WebhookPlan =>
  planWebhooks(policies, discovery, { fixedConditions: MATCH_CONDITIONS, keepImpliedSelection: true });
/** As kclguard plans: each exclusion only where the rules reach what it excludes. */
const planAsServed = (policies: CompiledPolicy[], discovery = DISCOVERY): WebhookPlan =>
  planWebhooks(policies, discovery, { fixedConditions: MATCH_CONDITIONS, excludedResources: EXCLUDED_RESOURCES });

const byName = (p: WebhookPlan, name: string): PlannedWebhook | undefined => p.webhooks.find((w) => w.name === name);

/** The webhooks of the request's phase the API server would call. */
function calledFor(p: WebhookPlan, req: EngineRequest): PlannedWebhook[] {
  return p.webhooks.filter((w) => {
    if (w.phase !== req.phase) return false;
    const verdict = webhookVerdict(w, req);
    if (typeof verdict === 'object') throw new Error(`CEL error in ${w.name}: ${verdict.error}`);
    return verdict === 'called';
  });
}

const configMap = (namespace: string, name: string, labels: Record<string, string> = {}): Json => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace, labels },
});

const cmRequest = (namespace: string, name = 'cm', labels: Record<string, string> = {}, phase: 'mutate' | 'validate' = 'validate', operation: Operation = 'CREATE') =>
  request({
    phase,
    operation,
    kind: { group: '', version: 'v1', kind: 'ConfigMap' },
    resource: { group: '', version: 'v1', resource: 'configmaps' },
    ...(operation === 'DELETE' ? { oldObject: configMap(namespace, name, labels), object: undefined } : { object: configMap(namespace, name, labels) }),
    namespace,
    name,
  });

describe('narrowed webhooks: kinds to resources', () => {
  it('resolves kinds through discovery; a kind served by a subresource asks for that subresource', () => {
    const p = plan([
      compiled(kclRun('deploys', 'a', { source, mode: 'Validate', selector: { resourceKind: ['Deployment', 'Scale'] } })),
      compiled(kclRun('pods', 'a', { source, mode: 'Validate', selector: { resourceKind: 'Pod', operations: ['CREATE', 'CONNECT'] } })),
    ]);
    const rules = byName(p, 'fail.validate.kclguard.krm.kcl.dev')!.rules;
    expect(rules).toEqual([
      { apiGroups: [''], apiVersions: ['*'], operations: ['CREATE', 'CONNECT'], resources: ['pods'], scope: '*' },
      { apiGroups: ['apps'], apiVersions: ['*'], operations: ['CREATE', 'UPDATE'], resources: ['deployments', 'deployments/scale', 'statefulsets/scale'], scope: '*' },
    ]);
    // pods/status carries kind Pod, the parent's own kind: like static mode, no status updates.
    expect(JSON.stringify(rules)).not.toContain('status');
  });

  it("a policy on Pods also gets their ephemeral containers and resize (kind Pod), UPDATE only; not their status", () => {
    const p = plan([
      compiled(kclRun('pods', 'a', { source, mode: 'Validate', selector: { resourceKind: 'Pod' } })),
      compiled(kclRun('all', 'a', { source, mode: 'Validate', failureAction: 'warn' })),
      compiled(kclRun('apps', 'a', { source, mode: 'Validate', failureAction: 'warn', matchConstraints: { resourceRules: [{ apiGroups: ['apps'] }] } })),
    ]);
    expect(byName(p, 'fail.validate.kclguard.krm.kcl.dev')!.rules).toEqual([
      { apiGroups: [''], apiVersions: ['*'], operations: ['CREATE', 'UPDATE'], resources: ['pods'], scope: '*' },
      { apiGroups: [''], apiVersions: ['*'], operations: ['UPDATE'], resources: ['pods/ephemeralcontainers', 'pods/resize'], scope: '*' },
    ]);
    // Every resource (no kinds) includes Pods, so their spec subresources too; the apps group does not.
    expect(byName(p, 'ignore.validate.kclguard.krm.kcl.dev')!.rules).toEqual(
      expect.arrayContaining([{ apiGroups: [''], apiVersions: ['*'], operations: ['UPDATE'], resources: ['pods/ephemeralcontainers', 'pods/resize'], scope: '*' }]),
    );
    const debug = (subResource: string) =>
      request({
        phase: 'validate',
        operation: 'UPDATE',
        kind: { group: '', version: 'v1', kind: 'Pod' },
        resource: { group: '', version: 'v1', resource: 'pods' },
        subResource,
        namespace: 'a',
        name: 'web',
        object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'a' } },
        oldObject: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'a' } },
      });
    expect(calledFor(p, debug('ephemeralcontainers')).map((w) => w.name)).toEqual(['fail.validate.kclguard.krm.kcl.dev']);
    expect(calledFor(p, debug('resize')).map((w) => w.name)).toEqual(['fail.validate.kclguard.krm.kcl.dev']);
    expect(calledFor(p, debug('status'))).toEqual([]);
    const appsOnly = plan([compiled(kclRun('apps', 'a', { source, mode: 'Validate', matchConstraints: { resourceRules: [{ apiGroups: ['apps'] }] } }))]);
    expect(JSON.stringify(appsOnly.webhooks.map((w) => w.rules))).not.toContain('pods/');
  });

  it('covers a kind discovery does not know yet with `*`, narrowed by the kind in CEL', () => {
    const p = plan([compiled(kclRun('future', 'a', { source, mode: 'Validate', failureAction: 'warn', selector: { resourceKind: 'Gadget' } }))]);
    const webhook = byName(p, 'ignore.validate.kclguard.krm.kcl.dev')!;
    expect(webhook.rules).toContainEqual({ apiGroups: ['*'], apiVersions: ['*'], operations: ['CREATE', 'UPDATE'], resources: ['*'], scope: '*' });
    expect(webhook.policies.find((x) => x.key === 'a/future')!.broader.join(' ')).toContain('kind Gadget is not served');
    const gadget = request({ phase: 'validate', kind: { group: 'example.com', version: 'v1', kind: 'Gadget' }, resource: { group: 'example.com', version: 'v1', resource: 'gadgets' }, namespace: 'a', object: { metadata: { name: 'g', namespace: 'a' } } });
    expect(calledFor(p, gadget).map((w) => w.name)).toEqual(['ignore.validate.kclguard.krm.kcl.dev']);
    expect(calledFor(p, cmRequest('a'))).toEqual([]);
  });

  it('no kinds: every resource without subresources; resourceRules narrow by group and kind', () => {
    const p = plan([
      compiled(kclRun('all', 'a', { source, mode: 'Validate', selector: { operations: ['DELETE'] } })),
      compiled(kclRun('apps', 'a', { source, mode: 'Validate', matchConstraints: { resourceRules: [{ apiGroups: ['apps'], kinds: ['Deployment'] }] } })),
    ]);
    expect(byName(p, 'fail.validate.kclguard.krm.kcl.dev')!.rules).toEqual([
      { apiGroups: ['*'], apiVersions: ['*'], operations: ['DELETE'], resources: ['*'], scope: '*' },
      { apiGroups: ['apps'], apiVersions: ['*'], operations: ['CREATE', 'UPDATE'], resources: ['deployments'], scope: '*' },
    ]);
  });
});

describe('narrowed webhooks: phases, operations and the failure policy split', () => {
  const abort = compiled(kclRun('strict', 'a', { source, mode: 'Validate', selector: { resourceKind: 'ConfigMap', matchLabels: { tier: 'strict' } } }));
  const warn = compiled(kclRun('advice', 'a', { source, mode: 'Validate', failureAction: 'warn', selector: { resourceKind: 'ConfigMap' } }));
  const recovery = compiled(kclRun('maybe', 'b', { source, mode: 'Validate', failureAction: 'skip', recovery: { source: 'action = "abort"' }, selector: { resourceKind: 'Secret' } }));
  const mutate = compiled(kclRun('label', 'a', { source, failureAction: 'skip', selector: { resourceKind: 'ConfigMap', operations: ['CREATE'] } }));
  const p = plan([abort, warn, recovery, mutate]);

  it('registers Fail for policies that may abort (abort, or a recovery program) and Ignore for warn/skip, per phase', () => {
    expect(p.webhooks.map((w) => [w.name, w.failurePolicy, w.policies.map((x) => x.key)])).toEqual([
      ['ignore.mutate.kclguard.krm.kcl.dev', 'Ignore', ['a/label']],
      ['fail.validate.kclguard.krm.kcl.dev', 'Fail', ['a/strict', 'b/maybe']],
      ['ignore.validate.kclguard.krm.kcl.dev', 'Ignore', ['a/advice', POLICY_WRITES_KEY]],
    ]);
    expect(byName(p, 'ignore.mutate.kclguard.krm.kcl.dev')!.rules).toEqual([
      { apiGroups: [''], apiVersions: ['*'], operations: ['CREATE'], resources: ['configmaps'], scope: '*' },
    ]);
    expect(p.covered.has('a/strict') && p.covered.has('a/advice') && p.covered.has('b/maybe') && p.covered.has('a/label')).toBe(true);
  });

  it('sends a request an abort policy selects to the Fail webhook only; warn-only to Ignore; unselected nowhere', () => {
    expect(calledFor(p, cmRequest('a', 'x', { tier: 'strict' })).map((w) => w.name)).toEqual(['fail.validate.kclguard.krm.kcl.dev']);
    expect(calledFor(p, cmRequest('a', 'y')).map((w) => w.name)).toEqual(['ignore.validate.kclguard.krm.kcl.dev']);
    expect(calledFor(p, cmRequest('elsewhere', 'z', { tier: 'strict' }))).toEqual([]);
    expect(calledFor(p, cmRequest('a', 'y', {}, 'mutate')).map((w) => w.name)).toEqual(['ignore.mutate.kclguard.krm.kcl.dev']);
    expect(calledFor(p, cmRequest('a', 'y', {}, 'mutate', 'UPDATE'))).toEqual([]);
    const secret = request({ phase: 'validate', kind: { group: '', version: 'v1', kind: 'Secret' }, resource: { group: '', version: 'v1', resource: 'secrets' }, namespace: 'a', object: { metadata: { name: 's', namespace: 'a' } } });
    expect(calledFor(p, secret)).toEqual([]);
    expect(calledFor(p, { ...secret, namespace: 'b' }).map((w) => w.name)).toEqual(['fail.validate.kclguard.krm.kcl.dev']);
  });

  it("always sends KCLRun writes to the Ignore webhook for kclguard's own check", () => {
    const empty = plan([]);
    expect(empty.webhooks.map((w) => w.name)).toEqual(['ignore.validate.kclguard.krm.kcl.dev']);
    const write = request({ phase: 'validate', kind: { group: 'krm.kcl.dev', version: 'v1alpha1', kind: 'KCLRun' }, resource: { group: 'krm.kcl.dev', version: 'v1alpha1', resource: 'kclruns' }, namespace: 'a', object: { metadata: { name: 'p' } } });
    expect(calledFor(empty, write).map((w) => w.name)).toEqual(['ignore.validate.kclguard.krm.kcl.dev']);
    expect(calledFor(empty, { ...write, subResource: 'status' })).toEqual([]);
  });

  it('sends no KCLRun delete for that check, also beside a policy whose rules take every operation', () => {
    const everything = compiled(kclRun('p0', 'a', { source, mode: 'Validate', failureAction: 'warn', selector: { operations: ['*'] } }));
    const wide = plan([everything]);
    const write = request({ phase: 'validate', kind: { group: 'krm.kcl.dev', version: 'v1alpha1', kind: 'KCLRun' }, resource: { group: 'krm.kcl.dev', version: 'v1alpha1', resource: 'kclruns' }, namespace: 'b', object: { metadata: { name: 'n1', namespace: 'b' } } });
    expect(calledFor(wide, write).map((w) => w.name)).toEqual(['ignore.validate.kclguard.krm.kcl.dev']);
    expect(calledFor(wide, { ...write, operation: 'DELETE', object: undefined, oldObject: { metadata: { name: 'n1', namespace: 'b' } } })).toEqual([]);
  });

  it('keeps the static exclusions first on every webhook', () => {
    for (const webhook of p.webhooks) expect(webhook.matchConditions.slice(0, MATCH_CONDITIONS.length)).toEqual(MATCH_CONDITIONS);
  });
});

describe('narrowed webhooks: match conditions', () => {
  it('spell hostile values as CEL string literals, never as code', () => {
    const hostile = '" || true || "\\\n\u2028😀';
    expect(celString(hostile)).toBe('"\\" || true || \\"\\\\\\u000a\\u2028\\U0001f600"');
    expect(celString('\ud800')).toBeUndefined();
    const p = plan([compiled(kclRun('h', 'a', { source, mode: 'Validate', selector: { resourceKind: 'ConfigMap', matchLabels: { app: hostile }, resourceName: [hostile] } }))]);
    const webhook = byName(p, 'fail.validate.kclguard.krm.kcl.dev')!;
    expect(calledFor(p, cmRequest('a', hostile, { app: hostile }))).toEqual([webhook]);
    expect(calledFor(p, cmRequest('a', hostile, { app: 'x' }))).toEqual([]);
    expect(calledFor(p, cmRequest('a', 'other', { app: hostile }))).toEqual([]);
  });

  it('never fail on a DELETE (no object), a CREATE (no oldObject) or a cluster-scoped request (no namespace)', () => {
    const p = plan([compiled(clusterKclRun('c', { source, mode: 'Validate', selector: { resourceName: 'n', matchLabels: { a: 'b' }, operations: ['*'] } }))]);
    const ns = request({ phase: 'validate', kind: { group: '', version: 'v1', kind: 'Namespace' }, resource: { group: '', version: 'v1', resource: 'namespaces' }, operation: 'DELETE', object: undefined, oldObject: { metadata: { name: 'n', labels: { a: 'b' } } }, name: 'n', namespace: 'n' });
    expect(calledFor(p, ns).map((w) => w.name)).toEqual(['fail.validate.kclguard.krm.kcl.dev']);
    const webhook = byName(p, 'fail.validate.kclguard.krm.kcl.dev')!;
    const noLabels = request({ phase: 'validate', kind: { group: '', version: 'v1', kind: 'Namespace' }, resource: { group: '', version: 'v1', resource: 'namespaces' }, object: { metadata: {} } });
    for (const condition of webhook.matchConditions) expect(typeof evaluateCondition(condition, noLabels)).toBe('boolean');
  });

  it('fall back, over budget, to coarse selections and then to the rules alone — never narrower', () => {
    const policies = Array.from({ length: 40 }, (_, i) =>
      compiled(kclRun(`p${i}`, `ns-${i}`, { source, mode: 'Validate', selector: { resourceKind: 'ConfigMap', matchLabels: { app: `app-${i}` } } })),
    );
    const full = plan(policies);
    const fullSize = full.webhooks[0]!.matchConditions.at(-1)!.expression.length;
    const coarse = plan(policies, DISCOVERY, fullSize - 1);
    expect(coarse.webhooks[0]!.notes.join(' ')).toContain('coarsened');
    const none = plan(policies, DISCOVERY, 100);
    expect(none.webhooks[0]!.notes.join(' ')).toContain('no selection condition');
    expect(none.webhooks[0]!.matchConditions).toEqual(MATCH_CONDITIONS);
    const selected = cmRequest('ns-7', 'cm', { app: 'app-7' });
    const otherLabel = cmRequest('ns-7', 'cm', { app: 'app-8' });
    for (const p of [full, coarse, none]) expect(calledFor(p, selected)).toHaveLength(1);
    expect(calledFor(full, otherLabel)).toHaveLength(0);
    expect(calledFor(coarse, otherLabel)).toHaveLength(1); // no labels in the coarse form
    expect(calledFor(coarse, cmRequest('elsewhere', 'cm', { app: 'app-7' }))).toHaveLength(0); // but still the namespace
  });

  it(`stay within the API server's limit of ${MAX_MATCH_CONDITIONS} per webhook`, () => {
    const fixed = Array.from({ length: 60 }, (_, i) => ({ name: `fixed-${i}`, expression: 'true' }));
    const narrowing = Array.from({ length: 10 }, (_, i) => ({ name: `narrow-${i}`, expression: 'true' }));
    const notes: string[] = [];
    const fitted = fitConditions(fixed, narrowing, notes);
    expect(fitted).toHaveLength(MAX_MATCH_CONDITIONS);
    expect(fitted.slice(0, 60)).toEqual(fixed);
    expect(notes.join(' ')).toContain('6 narrowing condition(s) dropped');
    const many = plan(Array.from({ length: 300 }, (_, i) => compiled(kclRun(`p${i}`, `n${i}`, { source, mode: 'Validate' }))));
    for (const webhook of many.webhooks) expect(webhook.matchConditions.length).toBeLessThanOrEqual(MAX_MATCH_CONDITIONS);
  });
});

// --- Property: what the API server sends is never narrower than what the engine selects. ---

const NAMESPACES = ['a', 'b', 'c'];
const NAMES = ['n1', 'n2'];
const LABELS: Record<string, string>[] = [{}, { app: 'web' }, { app: 'db', tier: 'x' }, { tier: 'x' }];
const NAMESPACE_LABELS: Record<string, Record<string, string>> = { a: { env: 'prod' }, b: { env: 'dev' }, c: {} };
const TARGETS: { kind: { group: string; version: string; kind: string }; resource: string; sub: string; namespaced: boolean; group?: string }[] = [
  { kind: { group: '', version: 'v1', kind: 'ConfigMap' }, resource: 'configmaps', sub: '', namespaced: true },
  { kind: { group: '', version: 'v1', kind: 'Secret' }, resource: 'secrets', sub: '', namespaced: true },
  { kind: { group: '', version: 'v1', kind: 'Pod' }, resource: 'pods', sub: '', namespaced: true },
  { kind: { group: '', version: 'v1', kind: 'Pod' }, resource: 'pods', sub: 'status', namespaced: true },
  { kind: { group: '', version: 'v1', kind: 'PodExecOptions' }, resource: 'pods', sub: 'exec', namespaced: true },
  { kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, resource: 'deployments', sub: 'scale', namespaced: true, group: 'apps' },
  { kind: { group: 'apps', version: 'v1', kind: 'Deployment' }, resource: 'deployments', sub: '', namespaced: true },
  { kind: { group: '', version: 'v1', kind: 'Namespace' }, resource: 'namespaces', sub: '', namespaced: false },
  { kind: { group: 'example.com', version: 'v1', kind: 'Widget' }, resource: 'widgets', sub: '', namespaced: false },
  { kind: { group: 'krm.kcl.dev', version: 'v1alpha1', kind: 'KCLRun' }, resource: 'kclruns', sub: '', namespaced: true },
];

const subset = <T>(values: readonly T[]) => fc.subarray([...values], { minLength: 1 });
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

const policyDoc = fc
  .record({
    cluster: fc.boolean(),
    namespace: fc.constantFrom(...NAMESPACES),
    mode: fc.constantFrom('Auto', 'Validate'),
    failureAction: fc.constantFrom('abort', 'warn', 'skip'),
    recovery: fc.boolean(),
    strictMode: fc.boolean(),
    kinds: maybe(subset(['ConfigMap', 'Secret', 'Pod', 'Scale', 'PodExecOptions', 'Namespace', 'Widget', 'Gadget'])),
    names: maybe(subset(NAMES)),
    namespaces: maybe(subset(NAMESPACES)),
    operations: maybe(subset(['CREATE', 'UPDATE', 'DELETE', 'CONNECT', '*'])),
    matchLabels: maybe(fc.constantFrom({ app: 'web' }, { tier: 'x' }, { app: 'db', tier: 'x' })),
    matchExpressions: maybe(
      fc.array(
        fc.oneof(
          fc.record({ key: fc.constantFrom('app', 'tier'), operator: fc.constantFrom('In', 'NotIn'), values: subset(['web', 'db', 'x']) }),
          fc.record({ key: fc.constantFrom('app', 'tier'), operator: fc.constantFrom('Exists', 'DoesNotExist') }),
        ),
        { maxLength: 2 },
      ),
    ),
    namespaceSelector: maybe(fc.constantFrom({ matchLabels: { env: 'prod' } }, { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] })),
    resourceRules: maybe(fc.array(fc.record({ apiGroups: maybe(subset(['', 'apps', 'autoscaling', '*'])), kinds: maybe(subset(['ConfigMap', 'Scale', 'Deployment', '*'])) }), { minLength: 1, maxLength: 2 })),
  })
  .map((p) => {
    const selector: Json = {};
    if (p.kinds) selector.resourceKind = p.kinds;
    if (p.names) selector.resourceName = p.names;
    if (p.namespaces && p.cluster) selector.namespace = p.namespaces;
    if (p.operations) selector.operations = p.operations;
    if (p.matchLabels) selector.matchLabels = p.matchLabels;
    if (p.matchExpressions) selector.matchExpressions = p.matchExpressions;
    if (p.namespaceSelector && p.cluster) selector.namespaceSelector = p.namespaceSelector;
    const spec: Json = { source, mode: p.mode, failureAction: p.failureAction, strictMode: p.strictMode, selector };
    if (p.recovery) spec.recovery = { source: 'action = "warn"' };
    if (p.resourceRules) spec.matchConstraints = { resourceRules: p.resourceRules };
    return { cluster: p.cluster, namespace: p.namespace, spec };
  });

/** Policies with distinct names. */
const policyDocs = fc.array(policyDoc, { maxLength: 5 }).map((list) =>
  list.map((p, i) => (p.cluster ? clusterKclRun(`p${i}`, p.spec) : kclRun(`p${i}`, p.namespace, p.spec))),
);

const requestArb = fc.record({
  phase: fc.constantFrom('mutate' as const, 'validate' as const),
  operation: fc.constantFrom<Operation>('CREATE', 'UPDATE', 'DELETE', 'CONNECT'),
  target: fc.constantFrom(...TARGETS),
  namespace: fc.constantFrom(...NAMESPACES),
  name: fc.constantFrom(...NAMES, ''),
  labels: fc.constantFrom(...LABELS),
  oldLabels: fc.constantFrom(...LABELS),
});

type RequestShape = typeof requestArb extends fc.Arbitrary<infer T> ? T : never;

function buildRequest(r: RequestShape): EngineRequest {
  const { target } = r;
  const isNamespace = target.kind.kind === 'Namespace';
  const namespace = isNamespace ? r.name : target.namespaced ? r.namespace : '';
  const meta = (labels: Record<string, string>) => ({ metadata: { ...(r.name ? { name: r.name } : {}), ...(namespace && !isNamespace ? { namespace } : {}), labels } });
  const object = r.operation === 'DELETE' ? undefined : r.operation === 'CONNECT' ? { kind: target.kind.kind } : meta(r.labels);
  const oldObject = r.operation === 'UPDATE' || r.operation === 'DELETE' ? meta(r.oldLabels) : undefined;
  return {
    ...request({ phase: r.phase, operation: r.operation, kind: target.kind, resource: { group: target.group ?? target.kind.group, version: 'v1', resource: target.resource }, object: object as Json, oldObject: oldObject as Json }),
    ...(target.sub ? { subResource: target.sub } : { subResource: undefined }),
    name: r.name || undefined,
    namespace: namespace || undefined,
    object: object as Json | undefined,
  };
}

/**
 * Subresources are sent only to policies that ask for them by naming the subresource's own kind
 * (Scale, PodExecOptions); `pods/status` (kind Pod, like its parent) is sent to no policy, as in
 * static mode's `*`. The engine itself would select either for a policy that names no kind.
 */
function asksFor(definition: PolicyDefinition, req: EngineRequest): boolean {
  if (!req.subResource) return true;
  const parentKind = TARGETS.find((t) => t.resource === req.resource.resource && !t.sub)?.kind.kind;
  if (parentKind === req.kind.kind) return false;
  const named = [...(definition.spec.selector.kinds ?? []), ...definition.spec.resourceRules.flatMap((r) => r.kinds ?? [])];
  return named.includes(req.kind.kind);
}

function engineSelects(definition: PolicyDefinition, req: EngineRequest): boolean {
  if ((definition.spec.mode === 'Auto' ? 'mutate' : 'validate') !== req.phase) return false;
  const ns = req.namespace && req.kind.kind !== 'Namespace' ? req.namespace : req.kind.kind === 'Namespace' ? req.name : undefined;
  const info = ns ? { labels: { ...(NAMESPACE_LABELS[ns] ?? {}), 'kubernetes.io/metadata.name': ns }, annotations: {} } : undefined;
  return whyNotSelected(definition, req, info) === undefined;
}

describe('narrowed webhooks: never narrower than the engine (property, real CEL)', () => {
  it('every request a policy selects reaches exactly one webhook of its phase — the Fail one when a policy that may abort selects it', () => {
    let selectionsLeftOut = 0;
    fc.assert(
      fc.property(policyDocs, fc.array(requestArb, { minLength: 1, maxLength: 8 }), (docs, requests) => {
        const policies = docs.map(compiled);
        const p = plan(policies);
        const served = planAsServed(policies);
        const keeping = planKeepingSelection(policies);
        const selections = (x: WebhookPlan) => x.webhooks.filter((w) => w.matchConditions.some((c) => c.name === 'selected-by-policies')).length;
        if (selections(keeping) > selections(p)) selectionsLeftOut += 1;
        for (const shape of requests) {
          const req = buildRequest(shape);
          const called = calledFor(p, req);
          // Leaving out the exclusions the rules cannot reach changes no call.
          expect(calledFor(served, req).map((w) => w.name)).toEqual(called.map((w) => w.name));
          // Nor does leaving out a selection the rules imply: on any policies, not only where
          // every policy is expressed exactly (checked below).
          expect(calledFor(keeping, req).map((w) => w.name)).toEqual(called.map((w) => w.name));
          expect(called.length).toBeLessThanOrEqual(1);
          const selecting = policies.filter((x) => engineSelects(x.definition!, req) && asksFor(x.definition!, req));
          if (selecting.length > 0) expect(called).toHaveLength(1);
          if (selecting.some((x) => x.definition!.spec.failureAction === 'abort' || x.definition!.spec.recoverySource !== undefined)) {
            expect(called[0]!.failurePolicy).toBe('Fail');
          }
          // Exact where every policy of the phase was expressed exactly: unselected writes cost nothing.
          const phasePolicies = p.webhooks.filter((w) => w.phase === req.phase).flatMap((w) => w.policies);
          const exact = phasePolicies.every((x) => x.broader.length === 0) && p.webhooks.every((w) => w.notes.length === 0);
          const policyWrite = req.resource.group === 'krm.kcl.dev' && !req.subResource && req.phase === 'validate' && (req.operation === 'CREATE' || req.operation === 'UPDATE');
          if (exact && selecting.length === 0 && !policyWrite) expect(called).toHaveLength(0);
        }
      }),
      { numRuns: 200 },
    );
    // The comparison above is not vacuous: the generated policies often let the selection go.
    expect(selectionsLeftOut).toBeGreaterThan(10);
  });
});

describe('narrowed webhooks: labels and names in CEL are exactly the engine (property, real CEL)', () => {
  const keys = ['app', 'tier', 'we"ird'];
  const values = ['web', 'db', 'x', "it's"];
  const labelsArb = fc.dictionary(fc.constantFrom(...keys), fc.constantFrom(...values), { maxKeys: 3 });
  const requirement = fc.oneof(
    fc.record({ key: fc.constantFrom(...keys), operator: fc.constantFrom('In', 'NotIn'), values: subset(values) }),
    fc.record({ key: fc.constantFrom(...keys), operator: fc.constantFrom('Exists', 'DoesNotExist') }),
  );
  it('a ConfigMap in the namespace is sent exactly when the policy selects it', () => {
    fc.assert(
      fc.property(
        maybe(fc.dictionary(fc.constantFrom(...keys), fc.constantFrom(...values), { minKeys: 1, maxKeys: 2 })),
        fc.array(requirement, { maxLength: 3 }),
        maybe(subset(NAMES)),
        fc.constantFrom<Operation>('CREATE', 'UPDATE', 'DELETE'),
        labelsArb,
        labelsArb,
        fc.constantFrom(...NAMES, 'other'),
        (matchLabels, matchExpressions, names, operation, labels, oldLabels, name) => {
          const selector: Json = { resourceKind: 'ConfigMap', operations: ['*'], matchExpressions };
          if (matchLabels) selector.matchLabels = matchLabels;
          if (names) selector.resourceName = names;
          const policy = compiled(kclRun('p', 'a', { source, mode: 'Validate', selector }));
          const p = plan([policy]);
          const req = cmRequest('a', name, labels, 'validate', operation);
          const withOld = operation === 'UPDATE' ? { ...req, oldObject: configMap('a', name, oldLabels) } : req;
          expect(calledFor(p, withOld).length === 1).toBe(engineSelects(policy.definition!, withOld));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('narrowed webhooks: no condition that the rules already imply', () => {
  const INFRASTRUCTURE: DiscoveredResource[] = [
    ...DISCOVERY,
    { group: '', resource: 'nodes', kind: 'Node', kindGroup: '' },
    { group: '', resource: 'nodes/status', kind: 'Node', kindGroup: '' },
    { group: 'coordination.k8s.io', resource: 'leases', kind: 'Lease', kindGroup: 'coordination.k8s.io' },
    { group: '', resource: 'events', kind: 'Event', kindGroup: '' },
  ];
  const pss = compiled(clusterKclRun('pss', { source, mode: 'Validate', selector: { resourceKind: ['Pod', 'Deployment'], operations: ['CREATE', 'UPDATE'] } }));
  const names = (w: PlannedWebhook | undefined) => w?.matchConditions.map((c) => c.name);

  it('a selection of kinds and operations, on resources the exclusions do not name: no condition at all', () => {
    const p = planAsServed([pss], INFRASTRUCTURE);
    expect(names(byName(p, 'fail.validate.kclguard.krm.kcl.dev'))).toEqual([]);
    // kclguard's own check of KCLRun writes is its rules exactly, and shares no request with the Fail webhook.
    expect(names(byName(p, 'ignore.validate.kclguard.krm.kcl.dev'))).toEqual([]);
    // Without the exclusions' data, all of them are kept, as in static mode.
    expect(names(byName(plan([pss], INFRASTRUCTURE), 'fail.validate.kclguard.krm.kcl.dev'))).toEqual(MATCH_CONDITIONS.map((c) => c.name));
    // Asked to keep it, the plan carries the selection the rules imply (what the property above compares with).
    expect(names(byName(planKeepingSelection([pss], INFRASTRUCTURE), 'fail.validate.kclguard.krm.kcl.dev'))).toEqual([...MATCH_CONDITIONS.map((c) => c.name), 'selected-by-policies']);
  });

  it('keeps each exclusion whose resources the rules reach', () => {
    const nodes = compiled(clusterKclRun('nodes', { source, mode: 'Validate', selector: { resourceKind: 'Node' } }));
    expect(names(byName(planAsServed([nodes], INFRASTRUCTURE), 'fail.validate.kclguard.krm.kcl.dev'))).toEqual(['exclude-cluster-infrastructure']);
    const everything = compiled(clusterKclRun('all', { source, mode: 'Validate' }));
    expect(names(byName(planAsServed([everything], INFRASTRUCTURE), 'fail.validate.kclguard.krm.kcl.dev'))!.slice(0, MATCH_CONDITIONS.length)).toEqual(MATCH_CONDITIONS.map((c) => c.name));
  });

  it('keeps the selection where it narrows: labels, names, a KCLRun namespace, a kind discovery does not know', () => {
    const selection = (doc: Json) => names(byName(planAsServed([compiled(doc)], INFRASTRUCTURE), 'fail.validate.kclguard.krm.kcl.dev'));
    expect(selection(clusterKclRun('l', { source, mode: 'Validate', selector: { resourceKind: 'Pod', matchLabels: { app: 'web' } } }))).toEqual(['selected-by-policies']);
    expect(selection(clusterKclRun('n', { source, mode: 'Validate', selector: { resourceKind: 'Pod', resourceName: ['web'] } }))).toEqual(['selected-by-policies']);
    expect(selection(kclRun('k', 'a', { source, mode: 'Validate', selector: { resourceKind: 'Pod' } }))).toEqual(['selected-by-policies']);
    expect(selection(clusterKclRun('g', { source, mode: 'Validate', selector: { resourceKind: 'Gadget' } }))).toContain('selected-by-policies');
    // One policy that narrows keeps the whole OR, the implied policy's term included.
    const both = planAsServed([pss, compiled(clusterKclRun('l', { source, mode: 'Validate', selector: { resourceKind: 'ConfigMap', matchLabels: { app: 'web' } } }))], INFRASTRUCTURE);
    expect(byName(both, 'fail.validate.kclguard.krm.kcl.dev')!.matchConditions.find((c) => c.name === 'selected-by-policies')!.expression).toContain('cluster/pss');
  });

  it('keeps the Ignore webhook out of what the Fail webhook takes only where their rules meet', () => {
    const advice = compiled(clusterKclRun('advice', { source, mode: 'Validate', failureAction: 'warn', selector: { resourceKind: 'Pod' } }));
    expect(names(byName(planAsServed([pss, advice], INFRASTRUCTURE), 'ignore.validate.kclguard.krm.kcl.dev'))).toEqual(['not-sent-to-fail-webhook']);
    const secrets = compiled(clusterKclRun('secrets', { source, mode: 'Validate', failureAction: 'warn', selector: { resourceKind: 'Secret' } }));
    expect(names(byName(planAsServed([pss, secrets], INFRASTRUCTURE), 'ignore.validate.kclguard.krm.kcl.dev'))).toEqual([]);
  });

  it('calls kclguard for the same infrastructure requests with and without the exclusions left out', () => {
    const policies = [
      pss,
      compiled(clusterKclRun('nodes', { source, mode: 'Validate', selector: { resourceKind: 'Node' } })),
      compiled(clusterKclRun('all', { source, mode: 'Validate', failureAction: 'warn' })),
      compiled(clusterKclRun('leases', { source, failureAction: 'skip', selector: { resourceKind: 'Lease' } })),
    ];
    for (const subset of [[0], [0, 1], [0, 2], [1, 3], [3]]) {
      const chosen = subset.map((i) => policies[i]!);
      const [kept, served] = [plan(chosen, INFRASTRUCTURE), planAsServed(chosen, INFRASTRUCTURE)];
      for (const [group, resource, sub] of [['', 'nodes', ''], ['', 'nodes', 'status'], ['coordination.k8s.io', 'leases', ''], ['', 'events', ''], ['', 'pods', ''], ['', 'configmaps', '']] as const) {
        for (const phase of ['mutate', 'validate'] as const) {
          const req = { ...request({ phase, operation: 'UPDATE', resource: { group, version: 'v1', resource }, object: { metadata: { name: 'x' } }, oldObject: { metadata: { name: 'x' } } }), subResource: sub || undefined };
          expect(calledFor(served, req).map((w) => w.name)).toEqual(calledFor(kept, req).map((w) => w.name));
        }
      }
    }
  });
});
