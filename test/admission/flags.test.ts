import { afterAll, describe, expect, it } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import { formatUsage, parseFlags, type FlagSpec } from '../../src/cli/flags.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVE_FLAGS, selfSignedHosts, serveConfig, type ServeConfigIo } from '../../src/cli/serve-config.js';
import { sourceSetup } from '../../src/cli/source-flags.js';
import { DEFAULT_WORKER_HEAP_MB } from '../../src/engine/index.js';
import { thrown, thrownCode } from '../support/error-codes.js';

const SPECS: FlagSpec[] = [
  { name: 'dir', type: 'string', default: './x', description: 'a directory' },
  { name: 'port', type: 'integer', min: 1, max: 10, default: 5, description: 'a port' },
  { name: 'verbose', type: 'boolean', default: false, description: 'talk more' },
  { name: 'level', type: 'enum', values: ['a', 'b'], description: 'a level' },
  { name: 'secret', type: 'string', env: false, description: 'no env twin' },
];

describe('parseFlags', () => {
  it('reads --flag value, --flag=value and bare booleans', () => {
    const parsed = parseFlags(SPECS, ['--dir', 'p', '--port=7', '--verbose', '--level', 'b'], {});
    expect(parsed.values).toEqual({ dir: 'p', port: 7, verbose: true, level: 'b' });
    expect(parsed.sources).toEqual({ dir: 'flag', port: 'flag', verbose: 'flag', level: 'flag' });
    expect(parseFlags(SPECS, ['--verbose=false'], {}).values.verbose).toBe(false);
  });

  it('takes the KCLGUARD_<FLAG> twin when the flag is absent, and the flag over the twin', () => {
    const env = { KCLGUARD_DIR: 'from-env', KCLGUARD_PORT: '3', KCLGUARD_VERBOSE: 'yes', KCLGUARD_SECRET: 'ignored' };
    const fromEnv = parseFlags(SPECS, [], env);
    expect(fromEnv.values).toMatchObject({ dir: 'from-env', port: 3, verbose: true });
    expect(fromEnv.values.secret).toBeUndefined();
    expect(fromEnv.sources.dir).toBe('env');
    expect(parseFlags(SPECS, ['--dir', 'flag'], env).values.dir).toBe('flag');
    expect(parseFlags(SPECS, [], {}).sources.port).toBe('default');
  });

  it.each([
    [['--nope'], 'C1003'],
    [['-x'], 'C1003'],
    [['--dir'], 'C1004'],
    [['--dir', '--port', '3'], 'C1004'],
    [['--port', 'abc'], 'C1006'],
    [['--port', '11'], 'C1006'],
    [['--port', '1.5'], 'C1006'],
    [['--verbose=maybe'], 'C1006'],
    [['--level', 'c'], 'C1006'],
    [['--dir='], 'C1006'],
    [['--dir', 'a', '--dir', 'b'], 'C1005'],
  ])('refuses %j with %s', (argv, code) => {
    expect(thrownCode(() => parseFlags(SPECS, argv, {}))).toBe(code);
  });

  it('names the environment variable when its value is wrong', () => {
    expect(thrown(() => parseFlags(SPECS, [], { KCLGUARD_PORT: 'many' }))).toMatchObject({
      code: 'C1006',
      params: { where: 'environment variable KCLGUARD_PORT' },
    });
  });

  it('notices --help and keeps positionals', () => {
    const parsed = parseFlags(SPECS, ['a', '--help', '--', '--dir'], {});
    expect(parsed.help).toBe(true);
    expect(parsed.positionals).toEqual(['a', '--dir']);
  });

  it('lists every flag with its environment twin in the usage', () => {
    const usage = formatUsage('serve', SERVE_FLAGS);
    for (const spec of SERVE_FLAGS) {
      expect(usage).toContain(`--${spec.name}`);
      expect(usage).toContain(`KCLGUARD_${spec.name.toUpperCase().replaceAll('-', '_')}`);
    }
  });
});

describe('serveConfig', () => {
  const dir = process.cwd();

  it('defaults to local mode on 127.0.0.1:8443 from ./policies', () => {
    const config = serveConfig(['--policies', dir], {});
    expect(config).toEqual({
      policies: dir,
      host: '127.0.0.1',
      port: 8443,
      namespace: 'kclguard',
      logLevel: 'info',
      shutdownGraceSeconds: 25,
      shutdownDelaySeconds: 10,
      maxInFlight: 64,
      // No workers: the server sizes the pool to its container (src/engine/pool/pool-size.ts).
      workerHeapMb: DEFAULT_WORKER_HEAP_MB,
      workerScheduling: 'batch',
      certReloadPollSeconds: 30,
      // oci:// sources: resolved into the resolver's configuration by src/cli/source-flags.ts.
      sourceFlags: {
        'kcl-registry': 'ghcr.io/kcl-lang',
        'source-credentials': 'secrets',
        'source-load-budget-seconds': 10,
        'source-max-files': 5000,
        'source-max-layer-mb': 16,
        'source-max-unpacked-mb': 16,
        'source-memory-mb': 32,
        'source-namespace-memory-mb': 16,
        'source-refresh-seconds': 300,
        'source-retry-seconds': 30,
      },
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads every flag from its environment twin', () => {
    const config = serveConfig([], {
      KCLGUARD_POLICIES: dir,
      KCLGUARD_HOST: '0.0.0.0',
      KCLGUARD_PORT: '9443',
      KCLGUARD_CERT: 'c.pem',
      KCLGUARD_KEY: 'k.pem',
      KCLGUARD_NAMESPACE: 'guard',
      KCLGUARD_LOG_LEVEL: 'debug',
      KCLGUARD_SHUTDOWN_GRACE_SECONDS: '5',
      KCLGUARD_SHUTDOWN_DELAY_SECONDS: '3',
      KCLGUARD_MAX_IN_FLIGHT: '8',
      KCLGUARD_CERT_RELOAD_POLL_SECONDS: '0',
      KCLGUARD_WORKERS: '3',
      KCLGUARD_WORKER_HEAP_MB: '64',
      KCLGUARD_WORKER_SCHEDULING: 'normal',
      KCLGUARD_KCL_REGISTRY: '127.0.0.1:5000/kcl',
      KCLGUARD_SOURCE_REFRESH_SECONDS: '60',
      KCLGUARD_REGISTRY_PLAIN_HTTP: '127.0.0.1:5000',
    });
    expect(config).toEqual({
      policies: dir,
      host: '0.0.0.0',
      port: 9443,
      cert: 'c.pem',
      key: 'k.pem',
      namespace: 'guard',
      logLevel: 'debug',
      shutdownGraceSeconds: 5,
      shutdownDelaySeconds: 3,
      maxInFlight: 8,
      workers: 3,
      workerHeapMb: 64,
      workerScheduling: 'normal',
      certReloadPollSeconds: 0,
      sourceFlags: {
        'kcl-registry': '127.0.0.1:5000/kcl',
        'registry-plain-http': '127.0.0.1:5000',
        'source-credentials': 'secrets',
        'source-load-budget-seconds': 10,
        'source-max-files': 5000,
        'source-max-layer-mb': 16,
        'source-max-unpacked-mb': 16,
        'source-memory-mb': 32,
        'source-namespace-memory-mb': 16,
        'source-refresh-seconds': 60,
        'source-retry-seconds': 30,
      },
    });
  });

  it('takes its own namespace from POD_NAMESPACE', () => {
    expect(serveConfig(['--policies', dir], { POD_NAMESPACE: 'security' })).toMatchObject({ namespace: 'security' });
  });

  it.each<[string, string[], Record<string, string>, string]>([
    ['a kubeconfig that does not exist', ['--policies', dir, '--kubeconfig', 'kc'], {}, 'C2016'],
    ['a kubeconfig that does not exist, from the environment', ['--policies', dir], { KCLGUARD_KUBECONFIG: 'kc' }, 'C2016'],
    ['--register-webhooks in local mode', ['--policies', dir, '--register-webhooks'], {}, 'C1010'],
    ['--cert without --key', ['--policies', dir, '--cert', 'c.pem'], {}, 'C1009'],
    ['--key without --cert', ['--policies', dir, '--key', 'k.pem'], {}, 'C1009'],
    ['a missing policy directory', ['--policies', `${dir}/no-such-directory`], {}, 'C2002'],
    ['a stray argument', ['--policies', dir, 'extra'], {}, 'C1007'],
    ['an unknown log level', ['--policies', dir, '--log-level', 'loud'], {}, 'C1006'],
    ['a port out of range', ['--policies', dir, '--port', '70000'], {}, 'C1006'],
    ['an unknown worker scheduling', ['--policies', dir, '--worker-scheduling', 'fifo'], {}, 'C1006'],
  ])('refuses %s', (_name, argv, env, code) => {
    expect(thrownCode(() => serveConfig(argv, env))).toBe(code);
  });
});

describe('serveConfig in cluster mode', () => {
  /** A cluster is found (as with --kubeconfig or in a Pod) without touching files or a network. */
  const cluster: ServeConfigIo = {
    isDirectory: () => true,
    connect: () => ({ kubeConfig: new KubeConfig(), source: 'in-cluster' }),
  };

  it('takes its policies from the cluster: no policy directory is resolved', () => {
    const config = serveConfig([], {}, { ...cluster, isDirectory: () => false });
    if (config === 'help') throw new Error('help');
    expect(config.policies).toBeUndefined();
    expect(config.cluster?.connection.source).toBe('in-cluster');
  });

  it('refuses --policies, as a flag or from its environment twin', () => {
    expect(thrownCode(() => serveConfig(['--policies', '.'], {}, cluster))).toBe('C1011');
    expect(thrownCode(() => serveConfig([], { KCLGUARD_POLICIES: '.' }, cluster))).toBe('C1011');
  });
});

describe('serveConfig for --register-webhooks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kclguard-flags-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  writeFileSync(
    kubeconfig,
    'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n',
  );
  const base = ['--kubeconfig', kubeconfig, '--register-webhooks', '--webhook-url', 'https://guard.example:9443'];
  const registration = (argv: string[], env: Record<string, string> = {}) => {
    const config = serveConfig([...base, ...argv], env);
    if (config === 'help' || !config.cluster?.registration) throw new Error('no registration');
    return config.cluster.registration;
  };

  it('defaults to what the chart renders', () => {
    expect(registration([])).toMatchObject({
      failurePolicy: 'Fail',
      mutateFailurePolicy: 'Fail',
      excludedNamespaces: [],
      timeoutSeconds: 5,
      resources: ['*', 'pods/ephemeralcontainers', 'pods/resize'],
      operations: ['CREATE', 'UPDATE', 'DELETE'],
    });
    const config = serveConfig(base, {});
    expect(config !== 'help' && config.cluster?.ownerClusterRole).toBeUndefined();
  });

  it('takes --owner-cluster-role in cluster mode with or without registration (it owns the status Lease too)', () => {
    for (const argv of [[...base, '--owner-cluster-role', 'kclguard'], ['--kubeconfig', kubeconfig, '--owner-cluster-role', 'kclguard']]) {
      const config = serveConfig(argv, {});
      expect(config !== 'help' && config.cluster?.ownerClusterRole).toBe('kclguard');
    }
  });

  it('takes every chart webhook value as a flag or its twin', () => {
    expect(
      registration(
        [
          '--failure-policy', 'Ignore',
          '--mutate-failure-policy', 'Fail',
          '--excluded-namespaces', 'team-a, team-b',
          '--webhook-timeout-seconds', '2',
          '--webhook-resources', 'pods,deployments/scale',
        ],
        { KCLGUARD_WEBHOOK_OPERATIONS: 'CREATE,CONNECT' },
      ),
    ).toMatchObject({
      failurePolicy: 'Ignore',
      mutateFailurePolicy: 'Fail',
      excludedNamespaces: ['team-a', 'team-b'],
      timeoutSeconds: 2,
      resources: ['pods', 'deployments/scale'],
      operations: ['CREATE', 'CONNECT'],
    });
    expect(registration(['--failure-policy', 'Ignore']).mutateFailurePolicy).toBe('Ignore');
  });

  it('puts the Service DNS names or the webhook URL host in the generated certificate', () => {
    const inCluster = {
      host: '0.0.0.0',
      cluster: { registration: { endpoint: { service: { name: 'guard', namespace: 'sec', port: 443 } } } },
    } as unknown as Parameters<typeof selfSignedHosts>[0];
    expect(selfSignedHosts(inCluster)).toEqual(['localhost', '127.0.0.1', 'guard.sec.svc', 'guard.sec', 'guard']);
    const config = serveConfig(base, {});
    if (config === 'help') throw new Error('help');
    expect(selfSignedHosts(config)).toEqual(['localhost', '127.0.0.1', 'guard.example']);
    expect(selfSignedHosts({ host: '127.0.0.1' })).toEqual(['localhost', '127.0.0.1']);
  });

  it('caches what --cache-resources names (none: nothing; absent: anything) and audits by default', () => {
    const cluster = (argv: string[], env: Record<string, string> = {}) => {
      const config = serveConfig(['--kubeconfig', kubeconfig, ...argv], env);
      if (config === 'help' || !config.cluster) throw new Error('no cluster');
      return config.cluster;
    };
    expect(cluster([]).cacheResources).toBeUndefined();
    expect(cluster(['--cache-resources', 'ingresses.networking.k8s.io, pods']).cacheResources).toEqual(['ingresses.networking.k8s.io', 'pods']);
    expect(cluster([], { KCLGUARD_CACHE_RESOURCES: 'none' }).cacheResources).toEqual([]);
    expect(cluster([]).audit).toEqual({ intervalMs: 3_600_000, debounceMs: 10_000, maxObjects: 10_000 });
    expect(cluster(['--audit-interval-seconds', '60', '--audit-max-objects', '5']).audit).toEqual({ intervalMs: 60_000, debounceMs: 10_000, maxObjects: 5 });
    expect(cluster(['--audit-interval-seconds', '0']).audit).toBeUndefined();
    expect(thrownCode(() => cluster(['--audit-max-objects', '0']))).toBe('C1006');
  });

  it('refuses bad operations, empty lists, a bad URL and registration flags without --register-webhooks', () => {
    expect(thrownCode(() => registration(['--webhook-operations', 'CREATE,PATCH']))).toBe('C1006');
    expect(thrownCode(() => registration(['--webhook-resources', ',']))).toBe('C1006');
    expect(thrownCode(() => registration(['--webhook-timeout-seconds', '6']))).toBe('C1006');
    expect(thrownCode(() => serveConfig(['--kubeconfig', kubeconfig, '--register-webhooks', '--webhook-url', 'http://guard:9443'], {}))).toBe('C1006');
    expect(thrownCode(() => serveConfig(['--kubeconfig', kubeconfig, '--register-webhooks'], {}))).toBe('C1008');
    expect(thrownCode(() => serveConfig(['--kubeconfig', kubeconfig, '--excluded-namespaces', 'a'], {}))).toBe('C1009');
    // In cluster mode registry credentials are Secrets named by the policies, not a docker config.
    expect(thrownCode(() => serveConfig(['--kubeconfig', kubeconfig, '--docker-config', 'config.json'], {}))).toBe('C1011');
  });

  it('takes --webhook-mode narrowed, with its update interval, and refuses the settings the policies decide there', () => {
    expect(registration([])).toMatchObject({ mode: 'static', updateIntervalMs: 5000 });
    expect(registration(['--webhook-mode', 'narrowed', '--webhook-update-interval-seconds', '2'])).toMatchObject({ mode: 'narrowed', updateIntervalMs: 2000 });
    expect(registration([], { KCLGUARD_WEBHOOK_MODE: 'narrowed' }).mode).toBe('narrowed');
    for (const flag of [['--failure-policy', 'Ignore'], ['--mutate-failure-policy', 'Fail'], ['--webhook-resources', 'pods'], ['--webhook-operations', 'CREATE']]) {
      expect(thrownCode(() => registration(['--webhook-mode', 'narrowed', ...flag]))).toBe('C1013');
    }
    expect(thrownCode(() => registration(['--webhook-mode', 'narrowed'], { KCLGUARD_FAILURE_POLICY: 'Ignore' }))).toBe('C1013');
    expect(thrownCode(() => registration(['--webhook-mode', 'dynamic']))).toBe('C1006');
    expect(thrownCode(() => registration(['--webhook-update-interval-seconds', '2']))).toBe('C1009');
    expect(thrownCode(() => serveConfig(['--kubeconfig', kubeconfig, '--webhook-mode', 'narrowed'], {}))).toBe('C1009');
  });
});

describe('the source-memory budget flags', () => {
  it('size the budget of serve, and leave one-shot commands without one', () => {
    const served = sourceSetup({ 'source-memory-mb': 64, 'source-namespace-memory-mb': 8, 'source-cache-dir': 'none' }, {}, 'serve');
    expect(served.config.budget).toEqual({ totalBytes: 64 * 1024 * 1024, namespaceBytes: 8 * 1024 * 1024 });
    const offline = sourceSetup({ 'source-cache-dir': 'none' }, {}, 'offline');
    expect(offline.config.budget).toEqual({ totalBytes: Number.POSITIVE_INFINITY, namespaceBytes: Number.POSITIVE_INFINITY });
  });
});
