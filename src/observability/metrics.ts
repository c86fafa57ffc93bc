/**
 * Every kclguard metric, registered on ONE Registry that the caller creates and passes in. Nothing
 * is registered on prom-client's global default registry, so tests can build as many servers as
 * they like without prom-client's "already registered" error. Label values are bounded: webhook,
 * operation, decision, result, action and state come from fixed sets; policy is a policy's
 * `namespace/name` (bounded by the policies loaded). Error text never becomes a label.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { BoundCounter, BoundHistogram, CountGauge } from './bound-metrics.js';

/** Sub-millisecond policies up to the API server's 5 s-and-more timeouts. */
export const ADMISSION_DURATION_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
/** A background audit run: a few objects up to the object limit on a busy pool. */
export const AUDIT_DURATION_BUCKETS = [0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900];
export const POLICY_DURATION_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 1, 5];

export const POLICY_RESULTS = [
  'mutated',
  'passed',
  'violated',
  'failed',
  'not_consented',
  'not_authorized',
  'skipped',
] as const;
export type PolicyResultLabel = (typeof POLICY_RESULTS)[number];

export const FAILURE_ACTIONS = ['abort', 'warn', 'skip'] as const;
export const VALIDATION_ACTIONS = ['Deny', 'Warn', 'Audit'] as const;

export interface Metrics {
  readonly registry: Registry;
  /** Updated by every review, or once per policy run of every review: bound-metrics.ts, not prom-client's own. */
  readonly admissionRequests: BoundCounter<'webhook' | 'operation' | 'decision'>;
  readonly admissionDuration: BoundHistogram<'webhook'>;
  readonly admissionInFlight: CountGauge;
  readonly policyEvaluations: BoundCounter<'policy' | 'result'>;
  readonly policyEvaluationDuration: BoundHistogram<'policy'>;
  readonly policyFailureActions: Counter<'policy' | 'action'>;
  readonly policyViolationActions: Counter<'policy' | 'action'>;
  readonly policies: Gauge<'state'>;
  readonly policyStale: Gauge<'policy'>;
  readonly serviceAccountChecks: Counter<'answer'>;
  readonly workers: Gauge<'state'>;
  readonly workerStops: Counter<'cause'>;
  readonly queueWait: BoundHistogram<'lane'>;
  readonly jobsQueuedOnWorker: Counter<'outcome'>;
  readonly tlsCertificateReloads: Counter<'result'>;
  readonly tlsCertificateFilesUsable: Gauge;
  readonly tlsCertificateExpiration: Gauge;
  readonly webhookUpdates: Counter<'result'>;
  readonly webhookPolicies: Gauge<'webhook'>;
  readonly policyLookups: Counter<'policy' | 'verb' | 'outcome'>;
  readonly policyLookupDuration: Histogram<'policy'>;
  readonly auditRuns: Counter<'outcome'>;
  readonly auditDuration: Histogram;
  readonly auditObjectsChecked: Counter;
  readonly auditResults: Gauge<'result'>;
}

export interface MetricsOptions {
  /** Process metrics (CPU, memory, event-loop lag) with the kclguard_ prefix. Default true. */
  readonly processMetrics?: boolean;
}

/**
 * How often the event-loop delay histogram (`kclguard_nodejs_eventloop_lag_p99_seconds`...) takes
 * a sample: a timer that wakes the main thread each time, idle or not. prom-client's default of
 * 10 ms woke it 100 times a second, about every other review at a few hundred a second, each wake
 * costing tens of µs on a virtual machine (docs/performance.md); a stall long enough to matter to
 * a webhook spans several samples at 100 ms.
 */
export const EVENT_LOOP_SAMPLE_MS = 100;

export function createMetrics(registry: Registry, options: MetricsOptions = {}): Metrics {
  const registers = [registry];
  if (options.processMetrics !== false) {
    collectDefaultMetrics({ register: registry, prefix: 'kclguard_', eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  }
  return {
    registry,
    admissionRequests: new BoundCounter({
      name: 'kclguard_admission_requests_total',
      help: 'Admission reviews answered, by webhook (mutate/validate), operation and decision (allowed, patched, denied, errored, rejected).',
      labelNames: ['webhook', 'operation', 'decision'],
      registers,
    }),
    admissionDuration: new BoundHistogram({
      name: 'kclguard_admission_duration_seconds',
      help: 'Time from receiving an admission review to sending the answer.',
      labelNames: ['webhook'],
      buckets: ADMISSION_DURATION_BUCKETS,
      registers,
    }),
    admissionInFlight: new CountGauge({
      name: 'kclguard_admission_requests_in_flight',
      help: 'Admission reviews being evaluated right now.',
      registers,
    }),
    policyEvaluations: new BoundCounter({
      name: 'kclguard_policy_evaluations_total',
      help: 'Policy evaluations by policy and result (mutated, passed, violated, failed, not_consented, not_authorized, skipped).',
      labelNames: ['policy', 'result'],
      registers,
    }),
    policyEvaluationDuration: new BoundHistogram({
      name: 'kclguard_policy_evaluation_duration_seconds',
      help: 'Time one policy took for one admission review.',
      labelNames: ['policy'],
      buckets: POLICY_DURATION_BUCKETS,
      registers,
    }),
    policyFailureActions: new Counter({
      name: 'kclguard_policy_failure_actions_total',
      help: 'failureAction applied when a policy could not run (abort, warn, skip).',
      labelNames: ['policy', 'action'],
      registers,
    }),
    policyViolationActions: new Counter({
      name: 'kclguard_policy_violation_actions_total',
      help: 'Violations that took effect, by policy and validationAction (Deny, Warn, Audit); one per action.',
      labelNames: ['policy', 'action'],
      registers,
    }),
    policies: new Gauge({
      name: 'kclguard_policies',
      help: 'Policies loaded, by state (ready, invalid).',
      labelNames: ['state'],
      registers,
    }),
    policyStale: new Gauge({
      name: 'kclguard_policy_stale',
      help: '1 while a policy acts on its last valid revision because a newer one was rejected (empty, unparsable or failing the schema), else 0. Series go when the policy is deleted.',
      labelNames: ['policy'],
      registers,
    }),
    serviceAccountChecks: new Counter({
      name: 'kclguard_serviceaccount_checks_total',
      help: "ServiceAccount checks of policies' effects by where the answer came from: cached, asked (a SubjectAccessReview), stale (a last known answer standing in while the API server fails), failed (no usable answer: a policy failure).",
      labelNames: ['answer'],
      registers,
    }),
    workers: new Gauge({
      name: 'kclguard_policy_workers',
      help: 'Policy worker threads by state (starting, idle, busy, dead); the pool size is their sum.',
      labelNames: ['state'],
      registers,
    }),
    workerStops: new Counter({
      name: 'kclguard_policy_worker_restarts_total',
      help: 'Policy workers ended and replaced, by cause: deadline (a policy overran its budget), memory (heap limit), crash.',
      labelNames: ['cause'],
      registers,
    }),
    queueWait: new BoundHistogram({
      name: 'kclguard_policy_queue_wait_seconds',
      help: 'Time a job waited for a policy worker, by lane (light, heavy, background).',
      labelNames: ['lane'],
      buckets: ADMISSION_DURATION_BUCKETS,
      registers,
    }),
    jobsQueuedOnWorker: new Counter({
      name: 'kclguard_policy_jobs_queued_on_worker_total',
      help: 'Light jobs sent ahead to a busy policy worker to start the moment its current job ends (queued), and those taken back because the job ahead ran past 5 ms (taken_back: they ran on the next free worker).',
      labelNames: ['outcome'],
      registers,
    }),
    tlsCertificateReloads: new Counter({
      name: 'kclguard_tls_certificate_reloads_total',
      help: 'Attempts to reload --cert/--key after a change: reloaded (a new pair is served) or not_usable (empty, partial or mismatched files; the previous pair keeps serving).',
      labelNames: ['result'],
      registers,
    }),
    tlsCertificateFilesUsable: new Gauge({
      name: 'kclguard_tls_certificate_files_usable',
      help: '1 when the certificate files last read form the pair being served (or no files are used), 0 while they are not usable.',
      registers,
    }),
    tlsCertificateExpiration: new Gauge({
      name: 'kclguard_tls_certificate_expiration_timestamp_seconds',
      help: 'notAfter of the certificate being served, as a Unix timestamp.',
      registers,
    }),
    webhookUpdates: new Counter({
      name: 'kclguard_webhook_configuration_updates_total',
      help: 'Narrowed webhook registration attempts by the elected replica, by result (applied, unchanged, failed, stale = not computable, last good kept).',
      labelNames: ['result'],
      registers,
    }),
    webhookPolicies: new Gauge({
      name: 'kclguard_webhook_configuration_policies',
      help: 'Policies each registered webhook serves after the last successful update (mutate-fail, mutate-ignore, validate-fail, validate-ignore).',
      labelNames: ['webhook'],
      registers,
    }),
    policyLookups: new Counter({
      name: 'kclguard_policy_lookups_total',
      help: 'kube.get / kube.list calls of policies, by policy, verb (get, list) and outcome (ok, invalid, undeclared, forbidden, failed, too_large).',
      labelNames: ['policy', 'verb', 'outcome'],
      registers,
    }),
    policyLookupDuration: new Histogram({
      name: 'kclguard_policy_lookup_duration_seconds',
      help: "Time kclguard took to answer one of a policy's lookups (ServiceAccount check and cache read), by policy.",
      labelNames: ['policy'],
      buckets: POLICY_DURATION_BUCKETS,
      registers,
    }),
    auditRuns: new Counter({
      name: 'kclguard_audit_runs_total',
      help: 'Background audit runs, by outcome: completed (every audited object checked), truncated (the object limit or a cache not listed yet left some for the next run), failed (the reports could not be written).',
      labelNames: ['outcome'],
      registers,
    }),
    auditDuration: new Histogram({
      name: 'kclguard_audit_duration_seconds',
      help: 'Time one background audit run took.',
      buckets: AUDIT_DURATION_BUCKETS,
      registers,
    }),
    auditObjectsChecked: new Counter({
      name: 'kclguard_audit_objects_checked_total',
      help: 'Existing objects background audit evaluated.',
      registers,
    }),
    auditResults: new Gauge({
      name: 'kclguard_audit_results',
      help: 'Results in the policy reports after the last audit run, by result (pass, fail, warn, error, skip).',
      labelNames: ['result'],
      registers,
    }),
  };
}

/** The admission routes' updates of every review, each series bound on its first use. */
export interface AdmissionMetrics {
  counted(webhook: string, operation: string, decision: string): void;
  timed(webhook: string, seconds: number): void;
}

export function admissionMetrics(metrics: Metrics): AdmissionMetrics {
  const counters = new Map<string, () => void>();
  const timers = new Map<string, (seconds: number) => void>();
  return {
    counted(webhook, operation, decision) {
      // The three are bounded words without spaces (the webhook, the decoded operation or
      // 'unknown', the decision), so the joined key names one series.
      const key = `${webhook} ${operation} ${decision}`;
      let count = counters.get(key);
      if (!count) counters.set(key, (count = metrics.admissionRequests.bind({ webhook, operation, decision })));
      count();
    },
    timed(webhook, seconds) {
      let time = timers.get(webhook);
      if (!time) timers.set(webhook, (time = metrics.admissionDuration.bind({ webhook })));
      time(seconds);
    },
  };
}
