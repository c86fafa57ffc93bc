/**
 * Ready in narrowed mode: a policy the registered webhook configurations do not cover yet (just
 * created or changed, or the update failed) is not enforced for the requests it was added for —
 * the API server does not send them — so it is not Ready (reason WebhookPending) until the
 * elected replica has applied configurations that cover it.
 */
import type { PolicyStatus } from './status-writer.js';
import type { WebhookCoverage } from './webhook-controller.js';

export function withWebhookCoverage(status: PolicyStatus, coverage: WebhookCoverage | undefined, previous: PolicyStatus | undefined, now: string): PolicyStatus {
  if (!coverage || coverage.covered) return status;
  const conditions = status.conditions.map((condition) => {
    if (condition.type !== 'Ready' || condition.status !== 'True') return condition;
    const before = previous?.conditions?.find((c) => c.type === 'Ready');
    const lastTransitionTime = before?.status === 'False' && before.lastTransitionTime ? before.lastTransitionTime : now;
    return { ...condition, status: 'False' as const, reason: 'WebhookPending', message: coverage.message, lastTransitionTime };
  });
  return { ...status, conditions };
}
