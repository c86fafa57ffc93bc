/**
 * kclguard's `kube` module for policies (docs/policy-author-guide.md, "Cluster lookups"):
 *
 *   kube.get(apiVersion, kind, namespace, name)            -> the object, or None
 *   kube.list(apiVersion, kind, namespace?, labelSelector?) -> [object], by namespace then name
 *
 * `namespace` is "" or None for cluster-scoped kinds and, in `list`, for every namespace.
 * `labelSelector` is kubectl's syntax (`app=web,tier in (a,b),!legacy`) or a metav1.LabelSelector
 * dict (`{matchLabels = {...}, matchExpressions = [...]}`).
 *
 * Here: the module's shape for the interpreter and the checking of a call's arguments into a
 * query. Whether the policy may make the query and what it returns is lookups.ts.
 */
import type { ErrorCode, HostModuleSpec } from '../../kcl/index.js';
import { isJsonObject } from '../json-data.js';
import type { LabelSelector, LabelSelectorRequirement } from '../model.js';

export const KUBE_MODULE_NAME = 'kube';

export const KUBE_MODULE: HostModuleSpec = {
  name: KUBE_MODULE_NAME,
  functions: [
    { name: 'get', params: ['apiVersion', 'kind', 'namespace', 'name'] },
    { name: 'list', params: ['apiVersion', 'kind', 'namespace', 'labelSelector'], required: 2 },
  ],
};

export type LookupQuery =
  | { readonly verb: 'get'; readonly apiVersion: string; readonly kind: string; readonly namespace: string; readonly name: string }
  | { readonly verb: 'list'; readonly apiVersion: string; readonly kind: string; readonly namespace: string; readonly selector?: LabelSelector };

/** An argument the policy got wrong: a KCL error at the call. */
export interface QueryError {
  readonly code: ErrorCode;
  readonly message: string;
}

function text(fn: string, name: string, value: unknown, optional: boolean): string | QueryError {
  if ((value === null || value === undefined) && optional) return '';
  if (typeof value !== 'string') return { code: 'E2G22', message: `kube.${fn}(): ${name} must be a str, got ${value === null ? 'None' : typeof value}` };
  return value;
}

const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** A selector longer than this is refused: it is parsed on kclguard's main thread. */
const MAX_SELECTOR_CHARS = 4096;

/**
 * kubectl's label selector syntax (k8s.io/apimachinery/pkg/labels): comma-separated
 * requirements `k`, `!k`, `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`. As there, `k!=v`
 * and `notin` also match objects without the key.
 */
export function parseSelectorText(selector: string): LabelSelector | string {
  if (selector.length > MAX_SELECTOR_CHARS) return `the label selector is longer than ${MAX_SELECTOR_CHARS} characters`;
  const requirements: LabelSelectorRequirement[] = [];
  // Split on commas outside parentheses.
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(selector.slice(start));
  for (const raw of parts) {
    const part = raw.trim();
    if (part === '') {
      if (parts.length === 1) break; // "" selects everything
      return `empty requirement in label selector ${JSON.stringify(selector)}`;
    }
    const set = /^(\S+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(part);
    const compare = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(part);
    let requirement: LabelSelectorRequirement;
    if (set) {
      const values = set[3]!.split(',').map((v) => v.trim());
      requirement = { key: set[1]!, operator: set[2] === 'in' ? 'In' : 'NotIn', values };
    } else if (compare) {
      requirement = { key: compare[1]!, operator: compare[2] === '!=' ? 'NotIn' : 'In', values: [compare[3]!] };
    } else if (part.startsWith('!')) {
      requirement = { key: part.slice(1).trim(), operator: 'DoesNotExist' };
    } else {
      requirement = { key: part, operator: 'Exists' };
    }
    if (!LABEL_KEY.test(requirement.key)) return `invalid label key ${JSON.stringify(requirement.key)} in label selector ${JSON.stringify(selector)}`;
    const bad = requirement.values?.find((v) => !LABEL_VALUE.test(v) || v.length > 63);
    if (bad !== undefined) return `invalid label value ${JSON.stringify(bad)} in label selector ${JSON.stringify(selector)}`;
    requirements.push(requirement);
  }
  return requirements.length === 0 ? {} : { matchExpressions: requirements };
}

const OPERATORS = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist']);

/** A metav1.LabelSelector given as a dict, checked as the API server checks one. */
function selectorFromDict(value: Record<string, unknown>): LabelSelector | string {
  const unknown = Object.keys(value).find((k) => k !== 'matchLabels' && k !== 'matchExpressions');
  if (unknown !== undefined) return `a label selector dict has matchLabels and matchExpressions, not ${JSON.stringify(unknown)}`;
  const { matchLabels, matchExpressions } = value;
  if (matchLabels !== undefined && matchLabels !== null) {
    if (!isJsonObject(matchLabels) || Object.values(matchLabels).some((v) => typeof v !== 'string')) return 'matchLabels must map str to str';
  }
  const expressions: LabelSelectorRequirement[] = [];
  if (matchExpressions !== undefined && matchExpressions !== null) {
    if (!Array.isArray(matchExpressions)) return 'matchExpressions must be a list';
    for (const e of matchExpressions) {
      if (!isJsonObject(e) || typeof e.key !== 'string' || typeof e.operator !== 'string' || !OPERATORS.has(e.operator)) {
        return 'each of matchExpressions needs a key and an operator In, NotIn, Exists or DoesNotExist';
      }
      const values = e.values ?? [];
      if (!Array.isArray(values) || values.some((v) => typeof v !== 'string')) return 'matchExpressions values must be a list of str';
      const needsValues = e.operator === 'In' || e.operator === 'NotIn';
      if (needsValues !== values.length > 0) return `operator ${e.operator} ${needsValues ? 'needs' : 'takes no'} values`;
      expressions.push({ key: e.key, operator: e.operator as LabelSelectorRequirement['operator'], values: values as string[] });
    }
  }
  return {
    ...(isJsonObject(matchLabels) ? { matchLabels: matchLabels as Record<string, string> } : {}),
    ...(expressions.length > 0 ? { matchExpressions: expressions } : {}),
  };
}

function selectorOf(value: unknown): LabelSelector | undefined | QueryError {
  if (value === null || value === undefined || value === '') return undefined;
  const parsed = typeof value === 'string' ? parseSelectorText(value) : isJsonObject(value) ? selectorFromDict(value) : 'labelSelector must be a str or a dict';
  return typeof parsed === 'string' ? { code: 'E3M38', message: `kube.list(): ${parsed}` } : parsed;
}

/** The query a `kube.<fn>(...)` call asks, or what is wrong with its arguments. */
export function parseLookupCall(fn: string, args: readonly unknown[]): LookupQuery | QueryError {
  if (fn !== 'get' && fn !== 'list') return { code: 'E2L23', message: `kube.${fn}() does not exist` };
  const apiVersion = text(fn, 'apiVersion', args[0], false);
  const kind = text(fn, 'kind', args[1], false);
  const namespace = text(fn, 'namespace', args[2], true);
  for (const value of [apiVersion, kind, namespace]) if (typeof value !== 'string') return value;
  const base = { apiVersion: apiVersion as string, kind: kind as string, namespace: namespace as string };
  if (fn === 'get') {
    const name = text(fn, 'name', args[3], false);
    if (typeof name !== 'string') return name;
    if (name === '') return { code: 'E3M38', message: 'kube.get(): name must not be empty' };
    return { verb: 'get', ...base, name };
  }
  const selector = selectorOf(args[3]);
  if (selector && 'code' in selector) return selector;
  return { verb: 'list', ...base, ...(selector ? { selector } : {}) };
}

export function isQueryError(value: LookupQuery | QueryError): value is QueryError {
  return 'code' in value;
}
