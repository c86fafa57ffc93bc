/**
 * What the API server does with a webhook for one request, for tests of narrowed registration:
 * the rules (group, resource, subresource, operation; matchPolicy Equivalent for resources served
 * in two groups) and the matchConditions, evaluated with a
 * real CEL evaluator (@bufbuild/cel) over the request as the API server hands it to CEL —
 * unstructured JSON whose empty `namespace`, `name` and `subResource` are absent.
 */
import { run } from '@bufbuild/cel';
import type { V1MatchCondition, V1RuleWithOperations } from '@kubernetes/client-node';
import type { EngineRequest } from '../../engine/index.js';

export type Json = Record<string, unknown>;

/** The AdmissionRequest as CEL sees it in matchConditions. */
export function celRequest(request: EngineRequest): Json {
  return {
    uid: request.uid,
    kind: request.kind,
    resource: request.resource,
    ...(request.subResource ? { subResource: request.subResource } : {}),
    ...(request.name ? { name: request.name } : {}),
    ...(request.namespace ? { namespace: request.namespace } : {}),
    operation: request.operation,
    userInfo: { username: 'alice' },
    dryRun: false,
  };
}

/** JS values as @bufbuild/cel takes dyn JSON: objects become Maps. */
function toCel(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toCel);
  if (value !== null && typeof value === 'object') return new Map(Object.entries(value).map(([k, v]) => [k, toCel(v)]));
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  return value;
}

/** true, false, or the CEL error's message. */
export function evaluateCondition(condition: V1MatchCondition, request: EngineRequest): boolean | string {
  const result = run(condition.expression, {
    request: toCel(celRequest(request)),
    object: request.object === undefined ? null : toCel(request.object),
    oldObject: request.oldObject === undefined ? null : toCel(request.oldObject),
  } as never) as unknown;
  if (typeof result === 'boolean') return result;
  return result instanceof Error ? result.message : `not a bool: ${String(result)}`;
}

function listHas(list: readonly string[] | undefined, value: string): boolean {
  return (list ?? []).includes('*') || (list ?? []).includes(value);
}

/** admissionregistration rule matching, the request as it is (matchPolicy Exact; webhookVerdict adds Equivalent). */
export function ruleMatches(rule: V1RuleWithOperations, request: EngineRequest): boolean {
  if (!listHas(rule.operations, request.operation)) return false;
  if (!listHas(rule.apiGroups, request.resource.group)) return false;
  const resource = request.resource.resource;
  const sub = request.subResource ?? '';
  return (rule.resources ?? []).some((entry) => {
    const [r, s = ''] = entry.split('/') as [string, string?];
    if (s === '') return sub === '' && (r === '*' || r === resource);
    return (r === '*' || r === resource) && (s === '*' || s === sub);
  });
}

export type WebhookVerdict = 'called' | 'skipped' | { readonly error: string };

interface GroupResourceKind {
  readonly group: string;
  readonly resource: string;
  readonly kind: string;
}

/**
 * Resources the API server serves in more than one group as one stored resource. Under
 * `matchPolicy: Equivalent` (admissionregistration/v1's default, and kclguard's) a request for
 * one that no rule names is sent, converted, to a webhook whose rules name another: its
 * `kind` and `resource` (what matchConditions see) become the matched one's. Among the built-in
 * APIs of v1.34 that is Events alone.
 */
const EQUIVALENT_RESOURCES: readonly (readonly GroupResourceKind[])[] = [
  [
    { group: '', resource: 'events', kind: 'Event' },
    { group: 'events.k8s.io', resource: 'events', kind: 'Event' },
  ],
];

/** The request as the webhook would get it: itself, converted to an equivalent resource its rules name, or none. */
function matchedRequest(webhook: { rules?: V1RuleWithOperations[]; matchPolicy?: string }, request: EngineRequest): EngineRequest | undefined {
  const rules = webhook.rules ?? [];
  if (rules.some((rule) => ruleMatches(rule, request))) return request;
  if (webhook.matchPolicy === 'Exact') return undefined;
  const { group, resource } = request.resource;
  for (const equivalents of EQUIVALENT_RESOURCES) {
    if (!equivalents.some((e) => e.group === group && e.resource === resource)) continue;
    for (const other of equivalents.filter((e) => e.group !== group)) {
      const converted: EngineRequest = {
        ...request,
        resource: { group: other.group, version: 'v1', resource: other.resource },
        kind: { group: other.group, version: 'v1', kind: other.kind },
      };
      if (rules.some((rule) => ruleMatches(rule, converted))) return converted;
    }
  }
  return undefined;
}

/** Whether the API server calls a webhook with these rules, matchPolicy and conditions for the request. */
export function webhookVerdict(
  webhook: { rules?: V1RuleWithOperations[]; matchPolicy?: string; matchConditions?: V1MatchCondition[] },
  request: EngineRequest,
): WebhookVerdict {
  const sent = matchedRequest(webhook, request);
  if (!sent) return 'skipped';
  for (const condition of webhook.matchConditions ?? []) {
    const result = evaluateCondition(condition, sent);
    if (typeof result === 'string') return { error: `${condition.name}: ${result}` };
    if (!result) return 'skipped';
  }
  return 'called';
}
