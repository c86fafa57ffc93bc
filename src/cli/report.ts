/**
 * `kclguard report [PATHS]`: background audit, offline. Judges existing objects against the
 * `mode: Validate` policies that name their kinds — the same requests (an UPDATE of the object to
 * itself), engine and results as the server's audit — and prints a table, or the PolicyReports
 * it would write (`--output yaml|json`).
 *
 * Over files: PATHS hold the policies, the objects and their Namespaces (the cluster as the files
 * describe it); lookups read those objects and `--lookup` files; `--rbac` answers the
 * ServiceAccount checks (allow-all without it). Over a live cluster (`--kubeconfig`): objects,
 * Namespaces and looked-up kinds are listed with the user's credentials, the policies are the
 * cluster's (or those in PATHS, to try one before applying it), and every check is a
 * SubjectAccessReview, as in cluster mode.
 *
 * Exit codes: 0 no fail or error result, 1 at least one, 2 bad command line or input.
 */
import { auditedPolicies, type AuditTarget } from '../audit/index.js';
import { clusterReader, connectToCluster, ClusterConfigError, type ClusterReader } from '../cluster/index.js';
import {
  allowAllAuthorizer,
  allowAllExempt,
  Lookups,
  PolicySet,
  rbacAuthorizer,
  rbacExemptCheck,
  serviceAccountUser,
  StaticLookupSource,
  StaticNamespaceLookup,
  WorkerPool,
  type PolicyDocument,
  type ServedKind,
  type SourceResolver,
} from '../engine/index.js';
import { parseCommandFlags } from './author/args.js';
import { readManifests } from './author/files.js';
import { loadLookupObjects, objectsOf } from './author/lookup-files.js';
import { fileTarget, runAudit, type AuditOutput } from './author/offline-audit.js';
import { compilePolicies, isNamespaceDocument, isPolicyDocument } from './author/offline-engine.js';
import { loadRbac } from './author/rbac-files.js';
import { renderReports, type ReportFormat } from './author/report-render.js';
import { offlineKindInfo } from './author/request.js';
import type { FlagSpec } from './flags.js';
import { CliError, FlagError, InputError, reportCliError } from './errors.js';
import { takeRepeated } from './author/args.js';
import { offlineResolver, OFFLINE_SOURCE_FLAGS } from './source-flags.js';

type JsonObject = Record<string, unknown>;

const FLAGS: readonly FlagSpec[] = [
  { name: 'rbac', type: 'string', valueName: 'DIR', description: 'Role/ClusterRole/RoleBinding/ClusterRoleBinding manifests answering the ServiceAccount, exempt and lookup checks (default: allow all; not with --kubeconfig)', env: false },
  { name: 'kubeconfig', type: 'string', valueName: 'FILE', description: 'audit a live cluster: list its objects and Namespaces, ask it SubjectAccessReviews; policies from PATHS, else the cluster\'s', env: false },
  { name: 'output', type: 'enum', values: ['table', 'yaml', 'json'], default: 'table', description: 'a table of results, or the PolicyReport / ClusterPolicyReport objects' },
  ...OFFLINE_SOURCE_FLAGS,
];

const USAGE = {
  positionals: '[PATHS ...]  (repeatable: --lookup FILE|DIR, more objects kube.get / kube.list read)',
  exitCodes: '0 no fail or error result, 1 a fail or error result, 2 usage or input error',
};

/** The documents of PATHS, sorted into policies, Namespaces and the other objects. */
function readPaths(paths: readonly string[]): { policies: PolicyDocument[]; namespaces: JsonObject[]; objects: JsonObject[] } {
  const policies: PolicyDocument[] = [];
  const namespaces: JsonObject[] = [];
  const objects: JsonObject[] = [];
  for (const { doc, origin } of paths.flatMap((p) => readManifests(p))) {
    if (isPolicyDocument(doc)) {
      policies.push({ doc, origin });
      continue;
    }
    for (const object of objectsOf(doc, origin)) {
      if (isNamespaceDocument(object)) namespaces.push(object);
      objects.push(object);
    }
  }
  return { policies, namespaces, objects };
}

async function auditFiles(paths: readonly string[], lookupPaths: readonly string[], rbacPath: string | undefined, resolver: SourceResolver): Promise<AuditOutput> {
  const { policies, namespaces, objects } = readPaths(paths);
  if (policies.length === 0) throw new InputError('C2006', { path: paths.join(', ') });
  const rbac = rbacPath === undefined ? undefined : loadRbac([rbacPath]);
  const set = await compilePolicies(policies, resolver);
  const defaultNamespace = set.snapshot().policies.find((p) => p.identity.namespace !== undefined)?.identity.namespace ?? 'default';
  const targets = objects.map((o) => fileTarget(o, offlineKindInfo, defaultNamespace));
  const syncCheck = rbac ? (sa: Parameters<typeof serviceAccountUser>[0], a: Parameters<typeof rbac.decide>[1]) => rbac.decide(serviceAccountUser(sa), a).allowed : () => true;
  set.executor.serveLookups?.(new Lookups({ source: new StaticLookupSource([...targets.map((t) => t.object), ...loadLookupObjects(lookupPaths)], offlineKindInfo), syncAuthorizer: syncCheck }));
  return runAudit({
    policies: set,
    objects: targets,
    authorizer: rbac ? rbacAuthorizer(rbac) : allowAllAuthorizer,
    exempt: rbac ? rbacExemptCheck(rbac) : allowAllExempt,
    namespaces: new StaticNamespaceLookup(namespaces),
    now: Math.floor(Date.now() / 1000),
  });
}

/** Objects of every served kind of these kind names. */
async function listKinds(reader: ClusterReader, served: readonly ServedKind[]): Promise<AuditTarget[]> {
  const lists = await Promise.all(served.map(async (kind) => (await reader.objects(kind)).map((object) => ({ object, served: kind }))));
  return lists.flat();
}

async function auditCluster(kubeconfig: string, paths: readonly string[], resolver: SourceResolver): Promise<AuditOutput> {
  let connection;
  try {
    connection = connectToCluster(kubeconfig);
  } catch (error) {
    if (error instanceof ClusterConfigError) throw new InputError('C2016', { reason: error.message });
    throw error;
  }
  if (!connection) throw new InputError('C2016', { reason: `--kubeconfig ${kubeconfig}: no cluster` });
  const reader = clusterReader(connection.kubeConfig);
  const fromFiles = paths.length > 0 ? readPaths(paths).policies : [];
  const documents = fromFiles.length > 0 ? fromFiles : (await reader.policies()).map((doc) => ({ doc, origin: `cluster ${String(doc.kind)}` }));
  if (documents.length === 0) throw new InputError('C2006', { path: 'the cluster' });
  // Lookups wait on SubjectAccessReviews: policies run in worker threads, answered here.
  const pool = new WorkerPool({ size: 2 });
  try {
    const set = new PolicySet({ executor: pool, resolver });
    await set.replace(documents);
    const snapshot = set.snapshot();
    const kindNames = new Set([...auditedPolicies(snapshot).values()].flat());
    const audited = (await Promise.all([...kindNames].map((k) => reader.kinds.resourcesFor(k)))).flat();
    const declared = snapshot.policies.flatMap((p) => p.definition?.spec.lookups ?? []);
    const lookedUp = (await Promise.all(declared.map((k) => reader.kinds.served(k)))).filter((k): k is ServedKind => k !== undefined);
    const [targets, lookupTargets, namespaces] = await Promise.all([listKinds(reader, audited), listKinds(reader, lookedUp), reader.namespaces()]);
    const kindInfo = (kind: { kind: string }) => lookedUp.find((k) => k.kind === kind.kind) ?? offlineKindInfo(kind);
    pool.serveLookups(new Lookups({ source: new StaticLookupSource(lookupTargets.map((t) => t.object), kindInfo), authorizer: reader.authorizer }));
    return await runAudit({ policies: set, objects: targets, authorizer: reader.authorizer, exempt: reader.exempt, namespaces: new StaticNamespaceLookup(namespaces), now: Math.floor(Date.now() / 1000) });
  } finally {
    await pool.close();
  }
}

export async function main(argv: string[]): Promise<number> {
  let lookupPaths: string[];
  let rest: string[];
  try {
    ({ repeated: { lookup: lookupPaths = [] }, rest } = takeRepeated(argv, ['lookup']));
  } catch (error) {
    if (error instanceof CliError) return reportCliError('report', error);
    throw error;
  }
  const flags = parseCommandFlags('report', FLAGS, rest, USAGE);
  if (typeof flags === 'number') return flags;
  const v = flags.values;
  try {
    const resolver = offlineResolver(v);
    if (v.kubeconfig !== undefined && v.rbac !== undefined) throw new FlagError('C1013', { flag: '--rbac', reason: 'answers the checks offline; with --kubeconfig the cluster answers them' });
    if (v.kubeconfig === undefined && flags.positionals.length === 0) throw new FlagError('C1008', { flag: 'PATHS (policies and objects) or --kubeconfig FILE', when: '' });
    const output =
      v.kubeconfig !== undefined
        ? await auditCluster(String(v.kubeconfig), flags.positionals, resolver)
        : await auditFiles(flags.positionals, lookupPaths, v.rbac as string | undefined, resolver);
    process.stdout.write(renderReports(output.reports, v.output as ReportFormat));
    if (output.failed > 0) process.stderr.write(`kclguard report: ${output.failed} object(s) could not be evaluated (see the log)\n`);
    for (const line of output.notAudited) process.stderr.write(`kclguard report: ${line}\n`);
    const bad = output.reports.some((r) => r.summary.fail > 0 || r.summary.error > 0);
    return bad ? 1 : 0;
  } catch (error) {
    if (error instanceof CliError) return reportCliError('report', error);
    throw error;
  }
}
