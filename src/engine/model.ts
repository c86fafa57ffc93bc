/**
 * The KCLRun / ClusterKCLRun API (krm.kcl.dev/v1alpha1) as the engine sees it: the manifest as
 * written, and the normalized definition (defaults applied, aliases resolved, string-or-list
 * fields turned into lists) that the rest of the engine works with.
 */
import type { FailureAction, Operation } from './contract.js';

export const KCLRUN_GROUP = 'krm.kcl.dev';
export const KCLRUN_VERSION = 'v1alpha1';
export const KCLRUN_API_VERSION = `${KCLRUN_GROUP}/${KCLRUN_VERSION}`;

export type PolicyKind = 'KCLRun' | 'ClusterKCLRun';
export type PolicyMode = 'Auto' | 'Validate';
export type LabelOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
/** What a violation does (the in-tree ValidatingAdmissionPolicyBinding's names and meaning). */
export type ValidationAction = 'Deny' | 'Warn' | 'Audit';
/**
 * Whose veto the policy honours (docs/policy-semantics.md): Honor — the Namespace's, the object's
 * own veto of a mutation, and the object's own veto of a violation only when the requesting user
 * may `exempt` from the policy; Ignore — nobody's; Advisory — anyone's (a rollout aid).
 */
export type ConsentMode = 'Honor' | 'Ignore' | 'Advisory';

export interface LabelSelectorRequirement {
  readonly key: string;
  readonly operator: LabelOperator;
  readonly values?: readonly string[];
}

/** metav1.LabelSelector. */
export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly LabelSelectorRequirement[];
}

/** krm-kcl's matchConstraints.resourceRules entry; an absent or empty field matches anything. */
export interface ResourceRule {
  readonly apiGroups?: readonly string[];
  readonly apiVersions?: readonly string[];
  readonly kinds?: readonly string[];
}

export const ALL_OPERATIONS: readonly Operation[] = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'];
export const DEFAULT_OPERATIONS: readonly Operation[] = ['CREATE', 'UPDATE'];
export const DEFAULT_FAILURE_ACTION: FailureAction = 'abort';
export const DEFAULT_MODE: PolicyMode = 'Auto';
export const DEFAULT_VALIDATION_ACTIONS: readonly ValidationAction[] = ['Deny'];
export const DEFAULT_CONSENT: ConsentMode = 'Honor';
/** Below the API server's default webhook timeout (10 s) so one slow policy cannot eat it all. */
export const DEFAULT_TIMEOUT_MILLIS = 1000;
/** Kinds one policy may declare in spec.lookups (each may start an informer cache). */
export const MAX_LOOKUP_KINDS = 16;
/** The API server never waits longer than 30 s for a webhook. */
export const MAX_TIMEOUT_MILLIS = 30_000;

/** The manifest as written (only the parts the engine reads are typed). */
export interface KclRunManifest {
  readonly apiVersion: string;
  readonly kind: PolicyKind;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly generation?: number;
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
  };
  readonly spec: Record<string, unknown>;
}

export interface PolicySelector {
  /** matchLabels + matchExpressions; undefined when the policy gave neither (matches all). */
  readonly labels?: LabelSelector;
  /** ClusterKCLRun only. */
  readonly namespaceSelector?: LabelSelector;
  readonly namespaces?: readonly string[];
  readonly kinds?: readonly string[];
  readonly names?: readonly string[];
  readonly operations: readonly Operation[];
}

/** A kind a policy may read with `kube.get` / `kube.list` (spec.lookups[]). */
export interface LookupKind {
  /** `v1`, `apps/v1`, `networking.k8s.io/v1`: the exact version served to the policy. */
  readonly apiVersion: string;
  readonly kind: string;
}

export interface ServiceAccountRef {
  readonly namespace: string;
  readonly name: string;
}

export interface PolicySpec {
  readonly source: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly selector: PolicySelector;
  readonly resourceRules: readonly ResourceRule[];
  readonly strictMode: boolean;
  readonly consent: ConsentMode;
  readonly validationActions: readonly ValidationAction[];
  readonly failureAction: FailureAction;
  /** KCL that chooses the action when the policy fails (spec.recovery.source). */
  readonly recoverySource?: string;
  /** kcl.mod `[dependencies]` text for an inline source (krm-kcl's spec.dependencies). */
  readonly dependencies?: string;
  /** A dockerconfigjson Secret (in the policy's namespace) for pulling oci:// sources. */
  readonly credentialsSecret?: string;
  readonly mode: PolicyMode;
  readonly timeoutMillis: number;
  /** Undefined: a ClusterKCLRun acting with kclguard's own authority (no ServiceAccount check). */
  readonly serviceAccount?: ServiceAccountRef;
  readonly allowSystemNamespaces: boolean;
  /** Kinds `kube.get` / `kube.list` may read (spec.lookups); empty when none are declared. */
  readonly lookups: readonly LookupKind[];
}

export interface PolicyIdentity {
  readonly kind: PolicyKind;
  /** Undefined for ClusterKCLRun. */
  readonly namespace?: string;
  readonly name: string;
  /** `namespace/name` for KCLRun, `cluster/name` for ClusterKCLRun (what consent entries name). */
  readonly key: string;
}

/**
 * A policy program that is a KCL package rather than one inline file: an `oci://` source pulled
 * and unpacked, or an inline source with `spec.dependencies`, as the files the compiler reads
 * (src/sources resolves it; the engine never touches a registry).
 */
export interface ResolvedSource {
  /** Every file of the main package and its dependencies, by absolute POSIX path. */
  readonly files: Readonly<Record<string, string>>;
  /** The main package's directory among `files`. */
  readonly root: string;
  /** Dependency name -> its package root among `files` (kcl.mod dependencies). */
  readonly externalPackages?: Readonly<Record<string, string>>;
  /** What identifies this content: the OCI digest (sha256:...) of the source and its dependencies. */
  readonly digest: string;
}

export interface PolicyDefinition {
  readonly identity: PolicyIdentity;
  readonly spec: PolicySpec;
  /** Set once an oci:// source (or spec.dependencies) is resolved; absent for plain inline source. */
  readonly resolved?: ResolvedSource;
  /** The document as loaded; programs receive it as resource_list.functionConfig. */
  readonly manifest: KclRunManifest;
  /** Where it came from (a file path in local mode), for messages. */
  readonly origin?: string;
}

/** Whether a source names a package in an OCI registry rather than being KCL itself. */
export function isOciSource(source: string): boolean {
  return source.startsWith('oci://');
}

/** Whether the policy's program must be resolved (pulled, or given dependencies) before it compiles. */
export function needsResolution(spec: PolicySpec): boolean {
  return isOciSource(spec.source) || spec.dependencies !== undefined;
}

/** A DNS-1123 label, what a Namespace's name must be: the schema's pattern and its check. */
export const DNS_LABEL_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
export const DNS_LABEL_MAX_CHARS = 63;
const DNS_LABEL = new RegExp(DNS_LABEL_PATTERN);

export function isDnsLabel(name: string): boolean {
  return name.length <= DNS_LABEL_MAX_CHARS && DNS_LABEL.test(name);
}

/**
 * The scope part of a ClusterKCLRun's key (`cluster/NAME`); no KCLRun may live in a namespace of
 * this name, or its key would be a ClusterKCLRun's (schema.ts refuses it).
 */
export const CLUSTER_SCOPE = 'cluster';

export function policyKey(kind: PolicyKind, name: string, namespace?: string): string {
  return kind === 'ClusterKCLRun' ? `${CLUSTER_SCOPE}/${name}` : `${namespace ?? ''}/${name}`;
}

export function policyIdentity(kind: PolicyKind, name: string, namespace?: string): PolicyIdentity {
  return kind === 'ClusterKCLRun'
    ? { kind, name, key: policyKey(kind, name) }
    : { kind, namespace, name, key: policyKey(kind, name, namespace) };
}
