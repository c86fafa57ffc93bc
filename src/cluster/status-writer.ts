/**
 * Writes each policy's status: observedGeneration and the conditions Compiled (with the KCL
 * diagnostic and its line:col), RBACPermissionsGranted and Ready, plus Stale while a newer
 * revision was rejected and the last valid one still acts. Only the elected replica writes; a
 * write happens only when the status would change, so a steady cluster sees none.
 */
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { Authorizer, CompiledPolicy, EngineLogger, PolicySnapshot } from '../engine/index.js';
import { silentLogger, KCLRUN_GROUP, KCLRUN_VERSION } from '../engine/index.js';
import type { KindResolver } from './discovery.js';
import { checkPolicyRbac, type RbacCheckResult } from './rbac-check.js';
import type { WebhookCoverage } from './webhook-controller.js';
import { withWebhookCoverage } from './webhook-coverage.js';

export interface Condition {
  readonly type: 'Compiled' | 'RBACPermissionsGranted' | 'Ready' | 'Stale';
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
  readonly observedGeneration?: number;
  readonly lastTransitionTime?: string;
}

export interface PolicyStatus {
  readonly observedGeneration?: number;
  readonly conditions: Condition[];
  /** What an oci:// source (or spec.dependencies) resolved to; null once there is none. */
  readonly source?: { readonly digest: string } | null;
}

/** Status messages end up in kubectl output; keep them readable. */
const MAX_MESSAGE = 1024;
const clip = (text: string) => (text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE - 1)}…` : text);

type BareCondition = Omit<Condition, 'observedGeneration' | 'lastTransitionTime'>;

/** Compiled describes the newest revision: for a stale policy, the one that was rejected. */
export function compiledCondition(policy: CompiledPolicy): BareCondition {
  if (policy.stale) return { type: 'Compiled', status: 'False', reason: 'SpecInvalid', message: clip(policy.stale.errors.join('; ')) };
  if (policy.sourceError !== undefined) return { type: 'Compiled', status: 'False', reason: 'SourceUnavailable', message: clip(policy.sourceError) };
  if (!policy.definition) return { type: 'Compiled', status: 'False', reason: 'SpecInvalid', message: clip(policy.errors.join('; ')) };
  // The state, not `program`: in a worker-pool server programs live in the workers only.
  if (policy.state !== 'ready') return { type: 'Compiled', status: 'False', reason: 'CompileFailed', message: clip(policy.errors.join('; ')) };
  return { type: 'Compiled', status: 'True', reason: 'Compiled', message: 'the KCL source compiled' };
}

/**
 * Stale (present only while true, as kstatus' abnormal-true conditions): the newest revision was
 * rejected and the last valid one is enforced in its place. Ready is False meanwhile, like a
 * Flux Kustomization whose latest revision failed: what was asked for is not what acts.
 */
function staleConditions(policy: CompiledPolicy): { stale: BareCondition; ready: BareCondition } | undefined {
  if (!policy.stale) return undefined;
  const acting = policy.definition?.manifest?.metadata?.generation;
  const rejected = policy.stale.generation;
  const message = clip(
    `${rejected !== undefined ? `generation ${rejected}` : 'the newest revision'} is invalid (see Compiled); ` +
      `${acting !== undefined ? `generation ${acting}` : 'the last valid revision'} stays in force until a valid revision or a deletion`,
  );
  return {
    stale: { type: 'Stale', status: 'True', reason: 'InvalidRevision', message },
    ready: { type: 'Ready', status: 'False', reason: 'StaleRevision', message },
  };
}

export function desiredStatus(policy: CompiledPolicy, rbac: RbacCheckResult, generation: number | undefined, previous: PolicyStatus | undefined, now: string): PolicyStatus {
  const compiled = compiledCondition(policy);
  const rbacCondition = { type: 'RBACPermissionsGranted' as const, ...rbac, message: clip(rbac.message) };
  const stale = staleConditions(policy);
  const ready: BareCondition =
    stale?.ready ??
    (compiled.status !== 'True'
      ? { type: 'Ready', status: 'False', reason: compiled.reason, message: compiled.message }
      : rbac.status === 'False'
        ? { type: 'Ready', status: 'False', reason: rbac.reason, message: rbacCondition.message }
        : policy.source?.stale
          ? { type: 'Ready', status: 'True', reason: 'SourceStale', message: clip(`the policy is active on ${policy.source.digest}, which could not be refreshed: ${policy.source.stale}`) }
          : { type: 'Ready', status: 'True', reason: 'Ready', message: 'the policy is active' });
  const conditions = [compiled, rbacCondition, ready, ...(stale ? [stale.stale] : [])].map((c) => {
    const before = previous?.conditions?.find((p) => p.type === c.type);
    // lastTransitionTime moves only when the status flips, as metav1.Condition requires.
    const lastTransitionTime = before && before.status === c.status && before.lastTransitionTime ? before.lastTransitionTime : now;
    return { ...c, observedGeneration: generation, lastTransitionTime };
  });
  return { observedGeneration: generation, conditions, source: policy.source ? { digest: policy.source.digest } : null };
}

/**
 * The generation the status describes: that of the manifest that was compiled (or rejected),
 * not of the informer's current object, which may already be newer than the snapshot being
 * reported. A manifest that failed validation has no definition; then the stored object's is the
 * best known.
 */
export function generationOf(policy: CompiledPolicy, object: KubernetesObject | undefined): number | undefined {
  // A stale policy acts on an older manifest, but the rejected one is the newest seen.
  return policy.stale?.generation ?? policy.definition?.manifest?.metadata?.generation ?? object?.metadata?.generation;
}

function sameStatus(a: PolicyStatus | undefined, b: PolicyStatus): boolean {
  if (!a || a.observedGeneration !== b.observedGeneration) return false;
  if ((a.source?.digest ?? null) !== (b.source?.digest ?? null)) return false;
  const strip = (s: PolicyStatus) =>
    JSON.stringify([...(s.conditions ?? [])].sort((x, y) => x.type.localeCompare(y.type)).map(({ lastTransitionTime: _t, ...c }) => c));
  return strip(a) === strip(b);
}

export interface StatusWriterOptions {
  readonly kubeConfig: KubeConfig;
  readonly authorizer: Authorizer;
  readonly kinds: KindResolver;
  /** The stored object of a policy (for generation and the current status). */
  readonly objectOf: (policy: CompiledPolicy) => KubernetesObject | undefined;
  readonly logger?: EngineLogger;
  readonly now?: () => Date;
  /** Narrowed webhooks: whether the registered configurations cover a policy (Ready follows). */
  readonly webhookCoverage?: (policy: CompiledPolicy) => WebhookCoverage | undefined;
}

export class StatusWriter {
  private readonly api: CustomObjectsApi;
  private readonly logger: EngineLogger;
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly options: StatusWriterOptions) {
    this.api = options.kubeConfig.makeApiClient(CustomObjectsApi);
    this.logger = options.logger ?? silentLogger;
  }

  /** Queues a pass over the snapshot; passes never overlap. */
  sync(snapshot: PolicySnapshot): Promise<void> {
    this.running = this.running.then(() => this.writeAll(snapshot)).catch(() => undefined);
    return this.running;
  }

  private async writeAll(snapshot: PolicySnapshot): Promise<void> {
    for (const policy of snapshot.policies) {
      const object = this.options.objectOf(policy);
      if (!object) continue;
      const previous = (object as { status?: PolicyStatus }).status;
      const rbac = await checkPolicyRbac(policy, this.options.authorizer, this.options.kinds);
      const now = (this.options.now ? this.options.now() : new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
      const status = withWebhookCoverage(desiredStatus(policy, rbac, generationOf(policy, object), previous, now), this.options.webhookCoverage?.(policy), previous, now);
      if (sameStatus(previous, status)) continue;
      try {
        await this.patch(policy, status);
      } catch (err) {
        this.logger.warn({ policy: policy.identity.key, err: err instanceof Error ? err.message : String(err) }, 'status write failed');
      }
    }
  }

  private async patch(policy: CompiledPolicy, status: PolicyStatus): Promise<void> {
    const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    const body = { status };
    const { name, namespace } = policy.identity;
    if (policy.identity.kind === 'KCLRun') {
      await this.api.patchNamespacedCustomObjectStatus(
        { group: KCLRUN_GROUP, version: KCLRUN_VERSION, plural: 'kclruns', namespace: namespace ?? '', name, body },
        mergePatch,
      );
    } else {
      await this.api.patchClusterCustomObjectStatus({ group: KCLRUN_GROUP, version: KCLRUN_VERSION, plural: 'clusterkclruns', name, body }, mergePatch);
    }
  }
}
