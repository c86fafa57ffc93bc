/**
 * The engine's own output bounds (docs/performance.md and docs/operations.md name them). The
 * interpreter bounds what a program may build (src/kcl guardrails); these bound what crosses
 * back to the API server and to kclguard's log.
 */

/**
 * The serialized RFC 6902 patch of one review. The API server refuses request bodies over 3 MiB
 * and etcd objects over 1.5 MiB, so a larger patch could never be applied; crossing it is a
 * failure (K9004) of the policy whose mutation made it so.
 */
export const MAX_PATCH_BYTES = 4 * 1024 * 1024;

/**
 * One policy run's exports as JSON text. Kubernetes objects are at most ~1.5 MiB (etcd) and a
 * request at most 3 MiB; an output beyond this could never be admitted, and converting, diffing
 * and serializing it would only cost time and memory. Crossing it is a failure (K9004).
 */
export const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;

/**
 * How deeply a policy's output object may nest, counting the object itself as level 1. The
 * transport refuses request bodies nesting deeper than this plus the two levels an
 * AdmissionReview wraps the object in (`{request: {object: ...}}`), so an object nesting deeper
 * could never be reviewed again: every later UPDATE or DELETE of it would be refused with HTTP 400,
 * which the API server's failurePolicy Fail turns into "cannot change or delete it". Crossing it is
 * a failure (K9004) of the policy whose output did.
 */
export const MAX_OBJECT_DEPTH = 254;

/**
 * A violation message or failure text of one policy run, cut (with an ellipsis) where the run
 * happened, before it crosses to the main thread: the AdmissionResponse shows at most 4096
 * characters of it anyway, and a policy could otherwise hand the main thread, which answers every
 * tenant, megabytes to copy, join and truncate for every review.
 */
export const MAX_POLICY_MESSAGE_CHARS = 4096;

/** What print() may send to the log per policy run. */
export const MAX_PRINTED_CHARS = 4096;

/** A policy can log once per step; the server log gets at most this many messages per run. */
export const MAX_POLICY_LOGS = 100;

/** Each logged message is cut to this many characters. */
export const MAX_POLICY_LOG_CHARS = 1024;
