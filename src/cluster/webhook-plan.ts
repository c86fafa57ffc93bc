/**
 * Narrowed mode's computation: from the loaded policies and the cluster's discovery, which
 * webhooks kclguard registers, with which rules and matchConditions (pure; no API calls).
 *
 * - Phase: `mode: Auto` policies go to the mutating configuration, `mode: Validate` ones to the
 *   validating one; kclguard's own check of KCLRun/ClusterKCLRun writes is a validating entry.
 * - kclguard-down behaviour per policy: a policy that may abort (failureAction abort, or a
 *   recovery program, which may choose abort) is served by the phase's `failurePolicy: Fail`
 *   webhook; warn/skip policies by its `Ignore` webhook. A request an abort policy selects goes to
 *   the Fail webhook only: the Ignore webhook carries a condition excluding exactly what the Fail
 *   webhook takes, so no request is sent twice. kclguard then runs every policy of the phase that
 *   selects the request, each with its own failureAction, whichever webhook called.
 * - Rules: the kinds a policy names, resolved to resources through discovery (a subresource
 *   whose kind is not its parent's — `deployments/scale` for Scale, `pods/exec` for
 *   PodExecOptions — is how a policy asks for subresources), with the policy's operations. No
 *   kinds: every resource (`*`, no subresources, as in static mode). A kind discovery does not
 *   know (a CRD not installed yet) is covered by `*` rules, narrowed by the kind in CEL.
 * - matchConditions: the static exclusions, then the OR of the policies' selections
 *   (webhook-cel.ts), within a size budget; over it, the coarse selections (no names or labels);
 *   over that too, none — the rules alone, broader, never narrower. A condition no request the
 *   rules match could make false is left out: an exclusion of resources the rules do not reach, a
 *   selection of kinds and operations that the rules were made of. A webhook with any condition
 *   costs the API server about 0.35 ms of CPU per call on the benchmark machine, whatever the
 *   conditions say (docs/performance.md).
 */
import type { V1MatchCondition, V1RuleWithOperations } from '@kubernetes/client-node';
import { ALL_OPERATIONS, KCLRUN_GROUP, POD_SPEC_SUBRESOURCES, type CompiledPolicy, type Operation, type PolicyDefinition, type Phase } from '../engine/index.js';
import type { DiscoveredResource } from './discovery.js';
import { rulesOverlap, rulesReach, type GroupResource } from './rule-overlap.js';
import { celList, celString, selectionCel, SUBRESOURCE } from './webhook-cel.js';

export type FailurePolicy = 'Fail' | 'Ignore';
/** The four webhooks narrowed mode may register (also the metric label). */
export type WebhookSlot = 'mutate-fail' | 'mutate-ignore' | 'validate-fail' | 'validate-ignore';
export const WEBHOOK_SLOTS: readonly WebhookSlot[] = ['mutate-fail', 'mutate-ignore', 'validate-fail', 'validate-ignore'];

/** The API server refuses a webhook with more matchConditions. */
export const MAX_MATCH_CONDITIONS = 64;
/**
 * Characters one selection expression may take before it is coarsened, then dropped. The API
 * server evaluates it for every request the rules match; 32 KiB holds a few hundred policies.
 */
export const MAX_SELECTION_CHARS = 32 * 1024;

export interface PlannedPolicy {
  readonly key: string;
  /** abort, warn, skip, or "recovery" (a recovery program may choose abort). */
  readonly action: string;
  /** Why the registered selection is broader than this policy's own. */
  readonly broader: readonly string[];
}

export interface PlannedWebhook {
  readonly slot: WebhookSlot;
  readonly name: string;
  readonly phase: Phase;
  readonly failurePolicy: FailurePolicy;
  readonly rules: V1RuleWithOperations[];
  /** Beyond the static exclusions: the selection, and for an Ignore webhook what Fail takes. */
  readonly matchConditions: V1MatchCondition[];
  readonly policies: readonly PlannedPolicy[];
  /** Why this webhook is broader than its policies (budget fallbacks). */
  readonly notes: readonly string[];
}

export interface WebhookPlan {
  readonly webhooks: readonly PlannedWebhook[];
  /** Per policy key, the fingerprint of what the plan registered for it (Ready follows it). */
  readonly covered: ReadonlyMap<string, string>;
}

export interface PlanOptions {
  /** Conditions every webhook carries first (the static exclusions). */
  readonly fixedConditions: readonly V1MatchCondition[];
  /**
   * By a fixed condition's name, the resources it excludes: a webhook whose rules reach none of
   * them goes without it. A condition not named here is always carried.
   */
  readonly excludedResources?: Readonly<Record<string, readonly GroupResource[]>>;
  readonly maxSelectionChars?: number;
  /**
   * Carry the selection even where every policy's rules imply it. kclguard never sets it: the
   * tests set it to show that leaving such a selection out changes no call.
   */
  readonly keepImpliedSelection?: boolean;
}

export function webhookName(slot: WebhookSlot): string {
  const [phase, policy] = slot.split('-');
  return `${policy}.${phase}.kclguard.krm.kcl.dev`;
}

/** Whether kclguard-down must deny what this policy selects. */
export function mayAbort(definition: PolicyDefinition): boolean {
  return definition.spec.failureAction === 'abort' || definition.spec.recoverySource !== undefined;
}

export function phaseOf(definition: PolicyDefinition): Phase {
  return definition.spec.mode === 'Auto' ? 'mutate' : 'validate';
}

/** What the registration of a policy depends on; a change means it must be registered again. */
export function coverageFingerprint(definition: PolicyDefinition): string {
  const { selector, resourceRules, mode, strictMode } = definition.spec;
  return JSON.stringify([definition.identity.key, mode, mayAbort(definition), selector, resourceRules, strictMode]);
}

/** A resource (or `group/*`, `*`) and the operations sent for it. */
interface Target {
  readonly group: string;
  readonly resource: string;
  readonly operations: readonly Operation[];
}

function listMatches(list: readonly string[] | undefined, value: string): boolean {
  return list === undefined || list.length === 0 || list.includes('*') || list.includes(value);
}

/** A core subresource that changes a Pod's spec under kind Pod (POD_SPEC_SUBRESOURCES). */
function isPodSpecSubresource(entry: DiscoveredResource): boolean {
  return entry.group === '' && POD_SPEC_SUBRESOURCES.includes(entry.resource);
}

/**
 * Subresources a kind asks for: those whose kind is not their parent resource's, and a Pod's
 * ephemeral containers and resize, which change what a policy on Pods checks (`pods/status`,
 * also of kind Pod, is not sent, as in static mode).
 */
function servesKind(entry: DiscoveredResource, kind: string, discovery: readonly DiscoveredResource[]): boolean {
  if (entry.kind !== kind) return false;
  const slash = entry.resource.indexOf('/');
  if (slash < 0 || isPodSpecSubresource(entry)) return true;
  const parent = entry.resource.slice(0, slash);
  return !discovery.some((p) => p.group === entry.group && p.resource === parent && p.kind === kind);
}

/** A resource as a target; a Pod's spec subresources are only ever updated, so only UPDATE. */
function pushTarget(targets: Target[], entry: DiscoveredResource, operations: readonly Operation[]): void {
  const sent = isPodSpecSubresource(entry) ? operations.filter((op) => op === 'UPDATE') : operations;
  if (sent.length > 0) targets.push({ group: entry.group, resource: entry.resource, operations: sent });
}

function policyTargets(definition: PolicyDefinition, discovery: readonly DiscoveredResource[], notes: string[]): Target[] {
  const { selector, resourceRules } = definition.spec;
  const operations = selector.operations;
  const rulesAllow = (entry: DiscoveredResource) =>
    resourceRules.length === 0 || resourceRules.some((r) => listMatches(r.apiGroups, entry.kindGroup) && listMatches(r.kinds, entry.kind));
  const ruleKinds = resourceRules.every((r) => r.kinds && r.kinds.length > 0 && !r.kinds.includes('*'));
  const kinds = selector.kinds ?? (resourceRules.length > 0 && ruleKinds ? resourceRules.flatMap((r) => r.kinds ?? []) : undefined);
  if (kinds === undefined) {
    const groups = resourceRules.length > 0 && resourceRules.every((r) => r.apiGroups && r.apiGroups.length > 0 && !r.apiGroups.includes('*'))
      ? [...new Set(resourceRules.flatMap((r) => r.apiGroups ?? []))]
      : ['*'];
    const all: Target[] = groups.map((group) => ({ group, resource: '*', operations }));
    // `*` has no subresources: a kind named next to it still asks for its own (Scale...), and
    // every kind includes Pods, whose spec subresources are therefore added as in static mode.
    const named = new Set(resourceRules.flatMap((r) => r.kinds ?? []).filter((k) => k !== '*'));
    const inGroups = (entry: DiscoveredResource) => groups.includes('*') || groups.includes(entry.group);
    for (const entry of discovery) {
      if (!entry.resource.includes('/') || !rulesAllow(entry)) continue;
      if ((named.has(entry.kind) && servesKind(entry, entry.kind, discovery)) || (isPodSpecSubresource(entry) && inGroups(entry))) {
        pushTarget(all, entry, operations);
      }
    }
    return all;
  }
  const targets: Target[] = [];
  for (const kind of new Set(kinds)) {
    const served = discovery.filter((entry) => servesKind(entry, kind, discovery) && rulesAllow(entry));
    if (served.length === 0) {
      notes.push(`kind ${kind} is not served by the cluster (yet): every resource, narrowed by its kind in matchConditions`);
      targets.push({ group: '*', resource: '*', operations });
    }
    for (const entry of served) pushTarget(targets, entry, operations);
  }
  return targets;
}

/** The webhook rules for a set of targets: one rule per API group and set of operations. */
export function rulesFor(targets: readonly Target[]): V1RuleWithOperations[] {
  const ops = new Map<string, Map<string, Set<Operation>>>();
  for (const t of targets) {
    const byResource = ops.get(t.group) ?? new Map<string, Set<Operation>>();
    const set = byResource.get(t.resource) ?? new Set<Operation>();
    for (const op of t.operations) set.add(op);
    byResource.set(t.resource, set);
    ops.set(t.group, byResource);
  }
  // A `*` rule already covers the top-level resources (never subresources) for its operations.
  const covers = (group: string, resource: string, op: Operation) =>
    !resource.includes('/') &&
    ((group !== '*' && ops.get('*')?.get('*')?.has(op)) || (resource !== '*' && ops.get(group)?.get('*')?.has(op)));
  const rules: V1RuleWithOperations[] = [];
  for (const group of [...ops.keys()].sort()) {
    const byOps = new Map<string, string[]>();
    for (const [resource, set] of ops.get(group)!) {
      const kept = ALL_OPERATIONS.filter((op) => set.has(op) && !covers(group, resource, op));
      if (kept.length === 0) continue;
      const key = kept.join(',');
      byOps.set(key, [...(byOps.get(key) ?? []), resource]);
    }
    for (const [key, resources] of [...byOps].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      rules.push({ apiGroups: [group], apiVersions: ['*'], operations: key.split(','), resources: resources.sort(), scope: '*' });
    }
  }
  return rules;
}

/** CEL that is true exactly for the requests these rules match (group, resource, subresource, operation). */
export function rulesCel(rules: readonly V1RuleWithOperations[]): string {
  const terms = rules.map((rule) => {
    const parts: string[] = [`request.operation in ${celList(rule.operations ?? [])}`];
    const groups = rule.apiGroups ?? ['*'];
    if (!groups.includes('*')) parts.push(`request.resource.group in ${celList(groups)}`);
    const resources = rule.resources ?? [];
    const alternatives: string[] = [];
    const topLevel = resources.filter((r) => !r.includes('/'));
    if (topLevel.includes('*')) alternatives.push(`${SUBRESOURCE} == ""`);
    else if (topLevel.length > 0) alternatives.push(`(${SUBRESOURCE} == "" && request.resource.resource in ${celList(topLevel)})`);
    for (const sub of resources.filter((r) => r.includes('/'))) {
      const [resource, subresource] = sub.split('/') as [string, string];
      alternatives.push(`(request.resource.resource == ${celString(resource)} && ${SUBRESOURCE} == ${celString(subresource)})`);
    }
    parts.push(alternatives.length === 1 ? alternatives[0]! : `(${alternatives.join(' || ')})`);
    return `(${parts.join(' && ')})`;
  });
  return terms.length === 0 ? 'false' : terms.join(' || ');
}

/** A participant of one webhook: a policy, or kclguard's own check of policy writes. */
interface Participant {
  readonly planned: PlannedPolicy;
  readonly targets: readonly Target[];
  /** Full and coarse selection CEL. */
  readonly full: string;
  readonly coarse: string;
  /** Every request its targets match is one its selection takes: the selection adds nothing. */
  readonly impliedByTargets: boolean;
}

/**
 * Exactly what the engine checks (isPolicyWrite): with a policy whose rules take every operation
 * in the same webhook, a condition without the operations would also send KCLRun deletes.
 */
const POLICY_WRITES_CEL = `(request.resource.group == ${celString(KCLRUN_GROUP)} && request.resource.resource in ["kclruns", "clusterkclruns"] && ${SUBRESOURCE} == "" && request.operation in ["CREATE", "UPDATE"])`;
/** Ignore: with kclguard down, a policy can still be fixed or deleted (it is checked when it loads). */
export const POLICY_WRITES_KEY = "kclguard's check of KCLRun/ClusterKCLRun writes";
const POLICY_WRITES: Participant = {
  planned: { key: POLICY_WRITES_KEY, action: 'ignore', broader: [] },
  targets: [
    { group: KCLRUN_GROUP, resource: 'kclruns', operations: ['CREATE', 'UPDATE'] },
    { group: KCLRUN_GROUP, resource: 'clusterkclruns', operations: ['CREATE', 'UPDATE'] },
  ],
  full: POLICY_WRITES_CEL,
  coarse: POLICY_WRITES_CEL,
  impliedByTargets: true,
};

/** Only letters, digits and `./-` in comments: policy names are DNS names, but never trust them. */
const commentSafe = (text: string) => text.replace(/[^A-Za-z0-9./_-]/g, '?');

/** The OR of the participants' selections within the budget, or undefined (rules alone). */
function selection(participants: readonly Participant[], budget: number, notes: string[]): string | undefined {
  const compose = (pick: (p: Participant) => string) => {
    if (participants.some((p) => pick(p) === 'true')) return undefined;
    const unique = new Map<string, string[]>();
    for (const p of participants) unique.set(pick(p), [...(unique.get(pick(p)) ?? []), p.planned.key]);
    return [...unique].map(([cel, keys]) => `// ${keys.map(commentSafe).join(', ')}\n(${cel})`).join('\n|| ');
  };
  const unrestricted = participants.find((p) => p.full === 'true');
  if (unrestricted) {
    notes.push(`no selection condition: ${unrestricted.planned.key} selects everything its rules match`);
    return undefined;
  }
  const full = compose((p) => p.full);
  if (full !== undefined && full.length <= budget) return full;
  const coarse = compose((p) => p.coarse);
  if (coarse !== undefined && coarse.length <= budget) {
    notes.push(`selection coarsened (no names or labels): ${full?.length ?? 0} characters is over the budget of ${budget}`);
    return coarse;
  }
  notes.push(`no selection condition: even the coarse selection is over the budget of ${budget} characters`);
  return undefined;
}

/**
 * The conditions a webhook carries, within the API server's limit: the fixed ones first, then
 * the narrowing ones while they fit. Dropping a narrowing condition only makes the webhook broader.
 */
export function fitConditions(fixed: readonly V1MatchCondition[], narrowing: readonly V1MatchCondition[], notes: string[], limit = MAX_MATCH_CONDITIONS): V1MatchCondition[] {
  const room = Math.max(0, limit - fixed.length);
  if (narrowing.length > room) notes.push(`${narrowing.length - room} narrowing condition(s) dropped: a webhook takes at most ${limit} matchConditions`);
  return [...fixed.slice(0, limit), ...narrowing.slice(0, room)];
}

function participantOf(definition: PolicyDefinition, discovery: readonly DiscoveredResource[]): Participant {
  const notes: string[] = [];
  const targets = policyTargets(definition, discovery, notes);
  const full = selectionCel(definition, true);
  const coarse = selectionCel(definition, false);
  const action = definition.spec.recoverySource !== undefined ? 'recovery' : definition.spec.failureAction;
  // Targets resolved from the named kinds alone (no `*` fallback for a kind discovery does not
  // know) are resources of those kinds with at most the selected operations.
  const impliedByTargets =
    full.kindsAndOperationsOnly && definition.spec.selector.kinds !== undefined && targets.every((t) => t.group !== '*' && t.resource !== '*');
  return { planned: { key: definition.identity.key, action, broader: [...full.broader, ...notes] }, targets, full: full.expression, coarse: coarse.expression, impliedByTargets };
}

/** The fixed conditions a webhook with these rules needs: those excluding something the rules reach. */
function reachedConditions(rules: readonly V1RuleWithOperations[], options: PlanOptions): readonly V1MatchCondition[] {
  return options.fixedConditions.filter((condition) => {
    const excluded = options.excludedResources?.[condition.name];
    return excluded === undefined || excluded.some((resource) => rulesReach(rules, resource));
  });
}

function webhookOf(slot: WebhookSlot, participants: readonly Participant[], failRules: V1RuleWithOperations[] | undefined, failSelection: string | undefined, options: PlanOptions): PlannedWebhook {
  const [phase, policy] = slot.split('-') as [Phase, 'fail' | 'ignore'];
  const notes: string[] = [];
  const rules = rulesFor(participants.flatMap((p) => p.targets));
  // The rules are the union of the participants' targets: when each one's targets imply its own
  // selection, whatever the rules match some participant selects.
  const implied = !options.keepImpliedSelection && participants.every((p) => p.impliedByTargets);
  const selected = implied ? undefined : selection(participants, options.maxSelectionChars ?? MAX_SELECTION_CHARS, notes);
  const narrowing: V1MatchCondition[] = [];
  if (selected !== undefined) narrowing.push({ name: 'selected-by-policies', expression: selected });
  if (failRules && rulesOverlap(rules, failRules)) {
    // What the Fail webhook takes: a request an abort policy selects goes there, and only there.
    const takenByFail = failSelection === undefined ? rulesCel(failRules) : `(${rulesCel(failRules)})\n&& (${failSelection})`;
    narrowing.push({ name: 'not-sent-to-fail-webhook', expression: `!(\n${takenByFail}\n)` });
  }
  return {
    slot,
    name: webhookName(slot),
    phase,
    failurePolicy: policy === 'fail' ? 'Fail' : 'Ignore',
    rules,
    matchConditions: fitConditions(reachedConditions(rules, options), narrowing, notes),
    policies: participants.map((p) => p.planned),
    notes,
  };
}

/** The webhooks for the policies loaded now. */
export function planWebhooks(policies: readonly CompiledPolicy[], discovery: readonly DiscoveredResource[], options: PlanOptions): WebhookPlan {
  const webhooks: PlannedWebhook[] = [];
  const covered = new Map<string, string>();
  for (const phase of ['mutate', 'validate'] as const) {
    const fail: Participant[] = [];
    const ignore: Participant[] = [];
    for (const policy of policies) {
      // A policy whose spec is invalid has no selector and never acts; one whose KCL does not
      // compile still acts (it fails with its failureAction), so it is registered like any other.
      const definition = policy.definition;
      if (!definition || phaseOf(definition) !== phase) continue;
      (mayAbort(definition) ? fail : ignore).push(participantOf(definition, discovery));
      covered.set(definition.identity.key, coverageFingerprint(definition));
    }
    if (phase === 'validate') ignore.push(POLICY_WRITES);
    let failRules: V1RuleWithOperations[] | undefined;
    let failSelection: string | undefined;
    if (fail.length > 0) {
      const webhook = webhookOf(`${phase}-fail`, fail, undefined, undefined, options);
      webhooks.push(webhook);
      failRules = webhook.rules;
      failSelection = webhook.matchConditions.find((c) => c.name === 'selected-by-policies')?.expression;
    }
    if (ignore.length > 0) webhooks.push(webhookOf(`${phase}-ignore`, ignore, failRules, failSelection, options));
  }
  return { webhooks, covered };
}
