import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { V1RuleWithOperations } from '@kubernetes/client-node';
import type { EngineRequest, Operation } from '../engine/index.js';
import { request } from '../engine/testing/fixtures.js';
import { rulesOverlap, rulesReach } from './rule-overlap.js';
import { ruleMatches } from './testing/api-server-match.js';

const GROUPS = ['', 'apps', 'coordination.k8s.io'];
const RESOURCES = ['pods', 'deployments', 'leases', 'nodes'];
const SUBS = ['', 'status', 'scale'];
const OPERATIONS: Operation[] = ['CREATE', 'UPDATE', 'DELETE'];

/** Every request of the small world the rules below are written in. */
const REQUESTS: EngineRequest[] = GROUPS.flatMap((group) =>
  RESOURCES.flatMap((resource) =>
    SUBS.flatMap((sub) =>
      OPERATIONS.map((operation) => ({
        ...request({ operation, resource: { group, version: 'v1', resource } }),
        subResource: sub || undefined,
      })),
    ),
  ),
);

const subset = <T>(values: readonly T[]) => fc.subarray([...values], { minLength: 1 });
const ruleArb: fc.Arbitrary<V1RuleWithOperations> = fc.record({
  apiGroups: subset([...GROUPS, '*']),
  apiVersions: fc.constant(['*']),
  operations: subset([...OPERATIONS, '*']),
  resources: subset(['pods', 'pods/status', 'pods/*', 'deployments', 'deployments/scale', 'leases', 'nodes/status', '*', '*/status', '*/*']),
});
const rulesArb = fc.array(ruleArb, { minLength: 1, maxLength: 3 });

const matchesAny = (rules: readonly V1RuleWithOperations[], req: EngineRequest) => rules.some((rule) => ruleMatches(rule, req));

describe('rule overlap (property, against the API server rule matching of the tests)', () => {
  it('rulesOverlap is true when some request matches a rule of each side, also through an equivalent resource of another group', () => {
    // Under matchPolicy Equivalent the API server matches a resource to the same resource of
    // another group: the answer is exact once groups are set aside.
    const anyGroup = (rules: readonly V1RuleWithOperations[]) => rules.map((rule) => ({ ...rule, apiGroups: ['*'] }));
    fc.assert(
      fc.property(rulesArb, rulesArb, (a, b) => {
        const shared = REQUESTS.some((req) => matchesAny(anyGroup(a), req) && matchesAny(anyGroup(b), req));
        expect(rulesOverlap(a, b)).toBe(shared);
        expect(rulesOverlap(b, a)).toBe(shared);
        if (REQUESTS.some((req) => matchesAny(a, req) && matchesAny(b, req))) expect(rulesOverlap(a, b)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('rulesReach is true exactly when some request to the resource, any subresource, matches', () => {
    fc.assert(
      fc.property(rulesArb, fc.constantFrom(...GROUPS), fc.constantFrom(...RESOURCES, '*'), (rules, group, resource) => {
        const reached = REQUESTS.some((req) => req.resource.group === group && (resource === '*' || req.resource.resource === resource) && matchesAny(rules, req));
        expect(rulesReach(rules, { group, resource })).toBe(reached);
      }),
      { numRuns: 500 },
    );
  });
});

describe('rule overlap: cases', () => {
  const rule = (apiGroups: string[], resources: string[], operations = ['CREATE']): V1RuleWithOperations => ({ apiGroups, apiVersions: ['*'], operations, resources, scope: '*' });
  it('`*` matches no subresource; `*/*` and `x/*` match the resource itself too (the API server splits at the slash)', () => {
    expect(rulesOverlap([rule([''], ['*'])], [rule([''], ['pods/status'])])).toBe(false);
    expect(rulesOverlap([rule([''], ['*/*'])], [rule([''], ['pods/status'])])).toBe(true);
    expect(rulesOverlap([rule([''], ['pods/*'])], [rule([''], ['pods'])])).toBe(true);
    expect(rulesOverlap([rule([''], ['pods/*'])], [rule([''], ['deployments/scale'])])).toBe(false);
    expect(rulesReach([rule([''], ['nodes/status'])], { group: '', resource: 'nodes' })).toBe(true);
  });
  it('operations and resources must meet; groups may differ (equivalent resources)', () => {
    expect(rulesOverlap([rule(['apps'], ['deployments'])], [rule([''], ['pods'])])).toBe(false);
    // Equivalent resources: core/v1 events and events.k8s.io events are one resource to the API server.
    expect(rulesOverlap([rule([''], ['events'])], [rule(['events.k8s.io'], ['events'])])).toBe(true);
    expect(rulesOverlap([rule(['*'], ['*'])], [rule([''], ['pods'])])).toBe(true);
    expect(rulesOverlap([rule([''], ['pods'], ['CREATE'])], [rule([''], ['pods'], ['DELETE'])])).toBe(false);
    expect(rulesReach([rule(['apps'], ['*'])], { group: 'authorization.k8s.io', resource: '*' })).toBe(false);
    expect(rulesReach([rule(['*'], ['pods'])], { group: 'authorization.k8s.io', resource: '*' })).toBe(true);
  });
});
