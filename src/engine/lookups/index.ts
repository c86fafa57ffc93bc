/** Cluster lookups for policies: the `kube` module, its answers, where the data comes from. */
export { KUBE_MODULE, KUBE_MODULE_NAME, parseLookupCall, parseSelectorText, type LookupQuery } from './kube-module.js';
export { DEFAULT_LOOKUP_LIMITS, LOOKUP_OUTCOMES, Lookups, type LookupAnswer, type LookupCall, type LookupLimits, type LookupOutcome, type LookupResponder, type LookupsOptions, type SyncAuthorizer } from './lookups.js';
export { StaticLookupSource, isUnavailable, resourceName, type KindInfo, type LookupSource, type ServedKind, type Unavailable } from './lookup-source.js';
export { lookupClient, type LookupAsk, type LookupClient } from './lookup-client.js';
