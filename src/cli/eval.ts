/**
 * `kclguard eval --policy P.yaml --resource R.yaml [...]`: what the webhook would decide for one
 * request, offline, on the same engine. Exit codes: 0 allowed, 1 denied (a violation or a
 * failureAction abort), 2 bad command line or unreadable/invalid input.
 */
import { CliError, FlagError, InputError, reportCliError } from './errors.js';
import { formatUsage, parseFlags, type FlagSpec } from './flags.js';
import { takeRepeated } from './author/args.js';
import { isObject, readSingleObject, readYamlDocs } from './author/files.js';
import { isNamespaceDocument, isPolicyDocument, OfflineEngine } from './author/offline-engine.js';
import { loadRbac } from './author/rbac-files.js';
import { loadLookupObjects } from './author/lookup-files.js';
import { renderResult, type OutputFormat } from './author/render.js';
import { buildAdmissionRequest, DEFAULT_USER } from './author/request.js';
import type { Operation, PolicyDocument, UserInfo } from '../engine/index.js';
import { offlineResolver, OFFLINE_SOURCE_FLAGS } from './source-flags.js';

export const EXIT_ALLOWED = 0;
export const EXIT_DENIED = 1;

const REPEATED = ['policy', 'namespace', 'group', 'lookup'];

const FLAGS: readonly FlagSpec[] = [
  { name: 'resource', type: 'string', valueName: 'FILE', description: 'the admitted object (required unless --operation DELETE)', env: false },
  { name: 'operation', type: 'enum', values: ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'], default: 'CREATE', description: 'the request operation', env: false },
  { name: 'old', type: 'string', valueName: 'FILE', description: 'the object before the change (UPDATE: default the --resource object; required for DELETE)', env: false },
  { name: 'user', type: 'string', valueName: 'NAME', description: `userInfo.username of the request (default ${DEFAULT_USER.username})`, env: false },
  { name: 'rbac', type: 'string', valueName: 'DIR', description: 'Role/ClusterRole/RoleBinding/ClusterRoleBinding manifests for the ServiceAccount check (default: allow all)', env: false },
  { name: 'output', type: 'enum', values: ['text', 'yaml', 'json'], default: 'text', description: 'output format' },
  { name: 'trace', type: 'boolean', default: false, description: 'show which policies were selected or skipped and why, and every ServiceAccount check', env: false },
  ...OFFLINE_SOURCE_FLAGS,
];

const REPEATED_USAGE = `repeatable flags:
  --policy FILE      KCLRun / ClusterKCLRun manifests (required; Namespace documents in them are used too)
  --namespace FILE   Namespace objects (labels for namespaceSelector, consent annotations)
  --group NAME       userInfo.groups of the request (default ${DEFAULT_USER.groups!.join(', ')})
  --lookup FILE|DIR  objects kube.get / kube.list read (the cluster's state; kind: List documents are unpacked)

exit codes: 0 allowed, 1 denied, 2 usage or input error
`;

function usage(): string {
  return `${formatUsage('eval', FLAGS)}\n${REPEATED_USAGE}`;
}

interface EvalInput {
  policies: PolicyDocument[];
  namespaces: unknown[];
  object?: Record<string, unknown>;
  oldObject?: Record<string, unknown>;
}

function readInputs(files: { policies: string[]; namespaces: string[]; resource?: string; old?: string }): EvalInput {
  const policies: PolicyDocument[] = [];
  const namespaces: unknown[] = [];
  for (const path of files.policies) {
    const docs = readYamlDocs(path);
    const found = docs.filter(isPolicyDocument);
    if (found.length === 0) throw new InputError('C2006', { path });
    policies.push(...found.map((doc) => ({ doc, origin: path })));
    namespaces.push(...docs.filter(isNamespaceDocument));
  }
  for (const path of files.namespaces) {
    const docs = readYamlDocs(path);
    const found = docs.filter(isNamespaceDocument);
    if (found.length === 0) throw new InputError('C2007', { path });
    namespaces.push(...found);
  }
  const object = files.resource === undefined ? undefined : readSingleObject(files.resource, 'resource');
  const oldObject = files.old === undefined ? undefined : readSingleObject(files.old, 'old object');
  return { policies, namespaces, object, oldObject };
}

export async function main(argv: string[]): Promise<number> {
  let flags;
  let repeated: Record<string, string[]>;
  try {
    const taken = takeRepeated(argv, REPEATED);
    repeated = taken.repeated;
    flags = parseFlags(FLAGS, taken.rest);
    if (flags.help) {
      process.stdout.write(usage());
      return 0;
    }
    if (flags.positionals.length > 0) throw new FlagError('C1007', { argument: flags.positionals[0]! });
    if (repeated.policy!.length === 0) throw new FlagError('C1008', { flag: '--policy FILE', when: '' });
    const op = flags.values.operation as Operation;
    if (op === 'DELETE' && flags.values.old === undefined) throw new FlagError('C1008', { flag: '--old FILE', when: ' with --operation DELETE (the object being deleted)' });
    if (op !== 'DELETE' && flags.values.resource === undefined) throw new FlagError('C1008', { flag: '--resource FILE', when: '' });
  } catch (error) {
    if (error instanceof FlagError) return reportCliError('eval', error);
    throw error;
  }
  const v = flags.values;
  const operation = v.operation as Operation;
  try {
    const input = readInputs({
      policies: repeated.policy!,
      namespaces: repeated.namespace!,
      resource: operation === 'DELETE' ? undefined : (v.resource as string | undefined),
      old: v.old as string | undefined,
    });
    const rbac = v.rbac === undefined ? undefined : loadRbac([v.rbac as string]);
    const lookups = loadLookupObjects(repeated.lookup!);
    const engine = await OfflineEngine.create({ policies: input.policies, namespaces: input.namespaces, rbac, lookups, resolver: offlineResolver(v) });
    const userInfo: UserInfo = {
      username: (v.user as string | undefined) ?? DEFAULT_USER.username,
      groups: repeated.group!.length > 0 ? repeated.group! : DEFAULT_USER.groups,
    };
    const oldObject = input.oldObject ?? (operation === 'UPDATE' ? input.object : undefined);
    const admission = buildAdmissionRequest({
      operation,
      object: operation === 'DELETE' ? undefined : input.object,
      oldObject: isObject(oldObject) ? oldObject : undefined,
      userInfo,
      defaultNamespace: engine.defaultNamespace(),
    });
    const result = await engine.evaluate(admission);
    process.stdout.write(renderResult(result, v.output as OutputFormat, v.trace === true));
    return result.allowed ? EXIT_ALLOWED : EXIT_DENIED;
  } catch (error) {
    if (error instanceof CliError) return reportCliError('eval', error);
    throw error;
  }
}
