/**
 * Whether webhook rules can match a request at all, read the way the API server matches them
 * (apiGroups, operations, and resources with a wildcard for the resource, the subresource or
 * both): narrowed mode leaves out a matchCondition that no request matching the webhook's rules
 * could make false. apiVersions and scope are not compared, so an answer can only err towards
 * "may match", which keeps the condition.
 */
import type { V1RuleWithOperations } from '@kubernetes/client-node';

/** A resource of an API group, any of its subresources included; `*`: every resource of the group. */
export interface GroupResource {
  readonly group: string;
  readonly resource: string;
}

const listHas = (list: readonly string[] | undefined, value: string): boolean => (list ?? []).includes('*') || (list ?? []).includes(value);

/**
 * Whether some request to `target` (its subresources included) may match one of `rules`. Groups
 * are compared: a resource with an equivalent in another group (Events) is listed in each.
 */
export function rulesReach(rules: readonly V1RuleWithOperations[], target: GroupResource): boolean {
  return rules.some(
    (rule) =>
      listHas(rule.apiGroups, target.group) &&
      (rule.resources ?? []).some((entry) => {
        const { resource } = entryOf(entry);
        return target.resource === '*' || resource === '*' || resource === target.resource;
      }),
  );
}

/** A rule's resource entry as the API server splits it: a subresource of `*` matches none too. */
function entryOf(entry: string): { resource: string; sub: string } {
  const slash = entry.indexOf('/');
  return slash < 0 ? { resource: entry, sub: '' } : { resource: entry.slice(0, slash), sub: entry.slice(slash + 1) };
}

/** Whether two resource entries match a request in common (`*` alone matches no subresource). */
function entriesOverlap(a: string, b: string): boolean {
  const x = entryOf(a);
  const y = entryOf(b);
  const meet = (p: string, q: string) => p === '*' || q === '*' || p === q;
  return meet(x.resource, y.resource) && meet(x.sub, y.sub);
}

const listsOverlap = (a: readonly string[] | undefined, b: readonly string[] | undefined): boolean =>
  (a ?? []).some((value) => listHas(b, value)) || ((a ?? []).includes('*') && (b ?? []).length > 0);

/**
 * Whether some request may match a rule of `a` and a rule of `b` alike. API groups are not
 * compared: under `matchPolicy: Equivalent` a request for a resource matches a rule naming the
 * same resource in another group (core/v1 events and events.k8s.io events), while a condition
 * still sees the request's own group. apiVersions and scope are not compared either.
 */
export function rulesOverlap(a: readonly V1RuleWithOperations[], b: readonly V1RuleWithOperations[]): boolean {
  return a.some((x) =>
    b.some(
      (y) =>
        listsOverlap(x.operations, y.operations) &&
        (x.resources ?? []).some((ex) => (y.resources ?? []).some((ey) => entriesOverlap(ex, ey))),
    ),
  );
}
