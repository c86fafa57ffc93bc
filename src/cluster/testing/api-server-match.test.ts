/**
 * The tests' model of the API server's webhook matching, where it goes beyond one rule:
 * matchPolicy Equivalent sends a request for a resource served in two groups to a webhook whose
 * rules name the other group's, converted, and the matchConditions see the converted request.
 */
import { describe, expect, it } from '@jest/globals';
import type { V1RuleWithOperations } from '@kubernetes/client-node';
import { request } from '../../engine/testing/fixtures.js';
import { webhookVerdict } from './api-server-match.js';

const coreEvent = request({
  operation: 'CREATE',
  kind: { group: '', version: 'v1', kind: 'Event' },
  resource: { group: '', version: 'v1', resource: 'events' },
  namespace: 'team-a',
  name: 'e',
  object: { apiVersion: 'v1', kind: 'Event', metadata: { name: 'e', namespace: 'team-a' } },
});
const eventsGroupRule: V1RuleWithOperations = { apiGroups: ['events.k8s.io'], apiVersions: ['v1'], operations: ['CREATE'], resources: ['events'] };

describe('webhookVerdict', () => {
  it('sends a core Event to a webhook whose rules name events.k8s.io events under matchPolicy Equivalent (the default), not under Exact', () => {
    expect(webhookVerdict({ rules: [eventsGroupRule] }, coreEvent)).toBe('called');
    expect(webhookVerdict({ rules: [eventsGroupRule], matchPolicy: 'Equivalent' }, coreEvent)).toBe('called');
    expect(webhookVerdict({ rules: [eventsGroupRule], matchPolicy: 'Exact' }, coreEvent)).toBe('skipped');
  });

  it('evaluates the matchConditions on the request as converted to the matched resource', () => {
    const byGroup = (group: string) => ({ name: 'group', expression: `request.resource.group == '${group}' && request.kind.group == '${group}'` });
    expect(webhookVerdict({ rules: [eventsGroupRule], matchConditions: [byGroup('events.k8s.io')] }, coreEvent)).toBe('called');
    expect(webhookVerdict({ rules: [eventsGroupRule], matchConditions: [byGroup('')] }, coreEvent)).toBe('skipped');
  });

  it('leaves a resource served in one group alone', () => {
    const pods = request({ operation: 'CREATE', kind: { group: '', version: 'v1', kind: 'Pod' }, resource: { group: '', version: 'v1', resource: 'pods' } });
    expect(webhookVerdict({ rules: [{ apiGroups: ['apps'], apiVersions: ['*'], operations: ['*'], resources: ['pods'] }] }, pods)).toBe('skipped');
  });
});
