/**
 * Answers a policy's `kube.get` / `kube.list` calls (DESIGN section 4): the kind must be declared
 * in the policy's spec.lookups (K9007), a KCLRun reads only namespaced kinds in its own namespace
 * (K9008), the policy's ServiceAccount must be allowed to get / list that resource there — a
 * SubjectAccessReview through the engine's cached authorizer — (K9008 when denied, never an empty
 * answer; K9009 when the check itself fails), the data comes from the source's caches (K9009 while
 * a cache is not ready), and an answer is bounded in objects and bytes (K9004).
 *
 * Runs on kclguard's main thread for the worker pool (`answer`, asynchronous: the authorization
 * may ask the API server) and on the calling thread for the in-process executor (`answerNow`,
 * which needs a synchronous authorizer: the offline commands' RBAC manifests or allow-all).
 */
import type { ErrorCode, HostAnswer } from '../../kcl/index.js';
import { withTimeout, type AuthorizationAttributes, type Authorizer } from '../authorizer.js';
import { DEFAULT_AUTHORIZER_TIMEOUT_MS } from '../authorizer.js';
import { isDnsLabel, type PolicyDefinition, type ServiceAccountRef } from '../model.js';
import { notify, type EngineObserver } from '../observer.js';
import { labelsOf, matchesLabelSelector } from '../selector.js';
import { isQueryError, parseLookupCall, type LookupQuery } from './kube-module.js';
import { isUnavailable, type LookupSource, type ServedKind, type Unavailable } from './lookup-source.js';

type JsonObject = Record<string, unknown>;

export interface LookupLimits {
  /** Objects one `kube.list` may return; beyond it the call fails (K9004), never truncates. */
  readonly maxObjects: number;
  /** Bytes (JSON) of one answer. */
  readonly maxBytes: number;
  /** Lookups one policy run may make (each costs the main thread a little). */
  readonly maxCallsPerRun: number;
  /** Bytes (JSON) of all answers of one policy run. */
  readonly maxBytesPerRun: number;
}

export const DEFAULT_LOOKUP_LIMITS: LookupLimits = {
  maxObjects: 2_000,
  maxBytes: 4 * 1024 * 1024,
  maxCallsPerRun: 20,
  maxBytesPerRun: 16 * 1024 * 1024,
};

/** How a lookup ended, for metrics (a fixed set: it is a label value). */
export type LookupOutcome = 'ok' | 'invalid' | 'undeclared' | 'forbidden' | 'failed' | 'too_large';
export const LOOKUP_OUTCOMES: readonly LookupOutcome[] = ['ok', 'invalid', 'undeclared', 'forbidden', 'failed', 'too_large'];

/** An answer and its size, so the calling run can keep its per-run byte budget. */
export type LookupAnswer = HostAnswer & { readonly bytes?: number };

/** One call as the program made it: the module function and its arguments as JSON. */
export interface LookupCall {
  readonly function: string;
  readonly args: readonly unknown[];
}

export interface LookupResponder {
  /** The answer to one call of `policy`'s program (main thread, for the worker pool). */
  answer(policy: PolicyDefinition, call: LookupCall, remainingMs: number): Promise<LookupAnswer>;
  /** The same, synchronously (the in-process executor: the program is waiting on this thread). */
  answerNow(policy: PolicyDefinition, call: LookupCall, remainingMs: number): LookupAnswer;
  readonly limits: LookupLimits;
}

/** An authorizer that answers at once (offline RBAC manifests, allow-all). */
export type SyncAuthorizer = (serviceAccount: ServiceAccountRef, attributes: AuthorizationAttributes) => boolean;

export interface LookupsOptions {
  readonly source: LookupSource;
  /** The ServiceAccount check (cluster: cached SubjectAccessReviews). */
  readonly authorizer?: Authorizer;
  /** For answerNow; without it answerNow fails every call that needs a check (K9009). */
  readonly syncAuthorizer?: SyncAuthorizer;
  readonly limits?: Partial<LookupLimits>;
  readonly observer?: EngineObserver;
  readonly now?: () => number;
  /** Upper bound of one ServiceAccount check (the run's remaining budget may shorten it). */
  readonly authorizerTimeoutMs?: number;
}

/** A call that passed every check before authorization. */
interface Prepared {
  readonly query: LookupQuery;
  readonly served: ServedKind;
  readonly attributes: AuthorizationAttributes;
}

function refuse(code: ErrorCode, message: string): LookupAnswer {
  return { ok: false, code, message };
}

const OUTCOME_OF_CODE: Readonly<Record<string, LookupOutcome>> = { K9007: 'undeclared', K9008: 'forbidden', K9009: 'failed', K9004: 'too_large', K9003: 'failed' };

/** Objects as a lookup returns them: with apiVersion and kind, without managedFields (noise). */
const presented = new WeakMap<JsonObject, { object: JsonObject; bytes: number }>();

function present(object: JsonObject, served: ServedKind): { object: JsonObject; bytes: number } {
  let known = presented.get(object);
  if (!known) {
    const metadata = (object.metadata ?? {}) as JsonObject;
    const { managedFields: _managed, ...rest } = metadata;
    const shown = { ...object, apiVersion: served.group === '' ? served.version : `${served.group}/${served.version}`, kind: served.kind, metadata: rest };
    // Sized once per object version (cache objects are replaced, never changed, on updates).
    known = { object: shown, bytes: Buffer.byteLength(JSON.stringify(shown)) };
    presented.set(object, known);
  }
  return known;
}

function nameOf(object: JsonObject): [string, string] {
  const m = (object.metadata ?? {}) as { namespace?: unknown; name?: unknown };
  return [typeof m.namespace === 'string' ? m.namespace : '', typeof m.name === 'string' ? m.name : ''];
}

function byNamespaceAndName(a: JsonObject, b: JsonObject): number {
  const [an, aname] = nameOf(a);
  const [bn, bname] = nameOf(b);
  return an < bn ? -1 : an > bn ? 1 : aname < bname ? -1 : aname > bname ? 1 : 0;
}

export class Lookups implements LookupResponder {
  readonly limits: LookupLimits;
  private readonly now: () => number;

  constructor(private readonly options: LookupsOptions) {
    this.limits = { ...DEFAULT_LOOKUP_LIMITS, ...options.limits };
    this.now = options.now ?? Date.now;
  }

  async answer(policy: PolicyDefinition, call: LookupCall, remainingMs: number): Promise<LookupAnswer> {
    const started = this.now();
    const prepared = this.prepare(policy, call);
    const sa = policy.spec.serviceAccount;
    if (!('query' in prepared) || !sa) return this.decide(policy, call, started, prepared, true);
    const authorizer = this.options.authorizer;
    if (!authorizer) return this.decide(policy, call, started, prepared, { unavailable: 'no ServiceAccount check is available here' });
    const budget = Math.min(this.options.authorizerTimeoutMs ?? DEFAULT_AUTHORIZER_TIMEOUT_MS, remainingMs);
    const allowed = await withTimeout(authorizer(sa, prepared.attributes), budget).catch((error: unknown) => ({ error }));
    return this.decide(policy, call, started, prepared, allowed);
  }

  answerNow(policy: PolicyDefinition, call: LookupCall, _remainingMs?: number): LookupAnswer {
    const started = this.now();
    const prepared = this.prepare(policy, call);
    const sa = policy.spec.serviceAccount;
    if (!('query' in prepared) || !sa) return this.decide(policy, call, started, prepared, true);
    const authorizer = this.options.syncAuthorizer;
    if (!authorizer) return this.decide(policy, call, started, prepared, { unavailable: 'lookups run in this process need a synchronous ServiceAccount check, and there is none' });
    let allowed: boolean | { error: unknown };
    try {
      allowed = authorizer(sa, prepared.attributes);
    } catch (error) {
      allowed = { error };
    }
    return this.decide(policy, call, started, prepared, allowed);
  }

  /** The answer once the ServiceAccount check (if any) is decided: the read, or why not. */
  private decide(policy: PolicyDefinition, call: LookupCall, started: number, prepared: Prepared | LookupAnswer, check: boolean | { error: unknown } | Unavailable): LookupAnswer {
    let answer: LookupAnswer;
    if (!('query' in prepared)) answer = prepared;
    else if (check === true) answer = this.read(prepared);
    else if (check === false) answer = forbidden(call, policy.spec.serviceAccount!, prepared);
    else if ('error' in check) answer = checkFailed(call, check.error);
    else answer = refuse('K9009', `kube.${call.function}(): ${check.unavailable}`);
    return this.finish(policy, call, answer, started);
  }

  private finish(policy: PolicyDefinition, call: LookupCall, answer: LookupAnswer, started: number): LookupAnswer {
    const outcome: LookupOutcome = answer.ok ? 'ok' : (OUTCOME_OF_CODE[answer.code] ?? 'invalid');
    const verb = call.function === 'get' || call.function === 'list' ? call.function : 'other';
    notify(this.options.observer, 'onLookup', policy.identity.key, verb, outcome, (this.now() - started) / 1000);
    return answer;
  }

  /** Everything but the ServiceAccount check: arguments, declaration, kind, scope. */
  private prepare(policy: PolicyDefinition, call: LookupCall): Prepared | LookupAnswer {
    const query = parseLookupCall(call.function, call.args);
    if (isQueryError(query)) return refuse(query.code, query.message);
    const what = `kube.${query.verb}()`;
    const declared = policy.spec.lookups.some((l) => l.apiVersion === query.apiVersion && l.kind === query.kind);
    if (!declared) {
      return refuse('K9007', `${what}: ${query.apiVersion} ${query.kind} is not declared in spec.lookups of policy ${policy.identity.key}; add {apiVersion: ${query.apiVersion}, kind: ${query.kind}} there`);
    }
    const served = this.options.source.resolve({ apiVersion: query.apiVersion, kind: query.kind });
    if (served === undefined) return refuse('K9009', `${what}: the cluster does not serve ${query.apiVersion} ${query.kind}`);
    if (isUnavailable(served)) return refuse('K9009', `${what}: ${served.unavailable}`);
    if (!served.namespaced && query.namespace !== '') {
      return refuse('E3M38', `${what}: ${query.kind} is cluster-scoped: namespace must be "" or None, not ${JSON.stringify(query.namespace)}`);
    }
    if (served.namespaced && query.verb === 'get' && query.namespace === '') {
      return refuse('E3M38', `${what}: ${query.kind} is namespaced: give the namespace of the object`);
    }
    const { identity } = policy;
    if (identity.kind === 'KCLRun') {
      // A KCLRun acts only in its namespace (DESIGN section 1); it reads only there too.
      const own = identity.namespace ?? '';
      if (!served.namespaced) return refuse('K9008', `${what}: policy ${identity.key} is a KCLRun: it may not read the cluster-scoped kind ${query.kind}`);
      if (query.namespace !== own) {
        const asked = query.namespace === '' ? 'every namespace' : `namespace ${query.namespace}`;
        return refuse('K9008', `${what}: policy ${identity.key} is a KCLRun: it reads only its own namespace ${own}, not ${asked}`);
      }
    }
    // A namespace or name no object can have: nothing is found, and nothing is asked. Asking would
    // send the API server whatever the program built (megabytes: a review it refuses).
    if (!possibleNamespace(query.namespace) || (query.verb === 'get' && !possibleName(query.name))) {
      return query.verb === 'get' ? { ok: true, value: null, bytes: 4 } : { ok: true, value: [], bytes: 2 };
    }
    const attributes: AuthorizationAttributes = {
      verb: query.verb,
      group: served.group,
      resource: served.resource,
      subresource: '',
      namespace: served.namespaced ? query.namespace : '',
      name: query.verb === 'get' ? query.name : '',
    };
    return { query, served, attributes };
  }

  private read({ query, served }: Prepared): LookupAnswer {
    const what = `kube.${query.verb}()`;
    const namespace = served.namespaced ? query.namespace : '';
    if (query.verb === 'get') {
      const found = this.options.source.get(served, namespace, query.name);
      if (isUnavailable(found)) return refuse('K9009', `${what}: ${found.unavailable}`);
      if (found === undefined) return { ok: true, value: null, bytes: 4 };
      const { object, bytes } = present(found, served);
      if (bytes > this.limits.maxBytes) return refuse('K9004', `${what}: the object is ${bytes} bytes, more than the limit of ${this.limits.maxBytes}`);
      return { ok: true, value: object, bytes };
    }
    const all = this.options.source.list(served, namespace);
    if (isUnavailable(all)) return refuse('K9009', `${what}: ${all.unavailable}`);
    const matching = query.selector ? all.filter((o) => matchesLabelSelector(query.selector, labelsOf(o))) : all;
    if (matching.length > this.limits.maxObjects) {
      return refuse('K9004', `${what}: ${matching.length} ${query.kind} objects match, more than the limit of ${this.limits.maxObjects}; narrow it with a namespace or a label selector`);
    }
    let bytes = 2;
    const value: JsonObject[] = [];
    for (const object of [...matching].sort(byNamespaceAndName)) {
      const shown = present(object, served);
      bytes += shown.bytes + 1;
      if (bytes > this.limits.maxBytes) return refuse('K9004', `${what}: the answer is more than the limit of ${this.limits.maxBytes} bytes; narrow it with a namespace or a label selector`);
      value.push(shown.object);
    }
    return { ok: true, value, bytes };
  }
}

/** Namespace names are DNS labels; '' is a cluster-scoped object's, or every namespace for a list. */
function possibleNamespace(namespace: string): boolean {
  return namespace === '' || isDnsLabel(namespace);
}

/**
 * Object names are DNS subdomains (253 characters) for most kinds and path segments for RBAC's,
 * which Kubernetes does not cap; MAX_LOOKUP_NAME_CHARS is far beyond any real one.
 */
function possibleName(name: string): boolean {
  return name.length <= MAX_LOOKUP_NAME_CHARS && name !== '.' && name !== '..' && !/[/%]/.test(name);
}

const MAX_LOOKUP_NAME_CHARS = 4096;

function forbidden(call: LookupCall, sa: ServiceAccountRef, { attributes }: Prepared): LookupAnswer {
  const where = attributes.namespace === '' ? (attributes.name === '' ? ' cluster-wide' : '') : ` in ${attributes.namespace}`;
  const group = attributes.group === '' ? 'core' : attributes.group;
  return refuse('K9008', `kube.${call.function}(): ServiceAccount ${sa.namespace}/${sa.name} may not ${attributes.verb} ${group} ${attributes.resource}${attributes.name ? ` ${attributes.name}` : ''}${where}`);
}

function checkFailed(call: LookupCall, error: unknown): LookupAnswer {
  return refuse('K9009', `kube.${call.function}(): the ServiceAccount check failed: ${error instanceof Error ? error.message : String(error)}`);
}
