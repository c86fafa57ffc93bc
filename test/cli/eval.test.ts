import { describe, expect, test } from '@jest/globals';
import yaml from 'js-yaml';
import { main } from '../../src/cli/eval.js';
import { capture, cliErrorCode, fixture } from './cli-harness.js';

const run = (...argv: string[]) => capture(() => main(argv));
const json = async (...argv: string[]) => {
  const r = await run(...argv, '--output', 'json');
  return { ...r, doc: JSON.parse(r.out) as Record<string, any> };
};

const ADD = fixture('policies', 'add-team-label.yaml');
const DENY = fixture('policies', 'deny-privileged.yaml');
const BROKEN = fixture('policies', 'broken.yaml');
const WARN = fixture('policies', 'warn-broken.yaml');
const STRICT = fixture('policies', 'strict.yaml');
const POD = fixture('resources', 'pod.yaml');
const PRIVILEGED = fixture('resources', 'pod-privileged.yaml');

describe('kclguard eval', () => {
  test('a mutation: exit 0, the patch, the resulting object and print() output', async () => {
    const { code, doc } = await json('--policy', ADD, '--resource', POD);
    expect(code).toBe(0);
    expect(doc.allowed).toBe(true);
    expect(doc.policies).toEqual([expect.objectContaining({ policy: 'team-a/add-team-label', result: 'mutated', phase: 'mutate', printed: 'labelling web\n' })]);
    expect(doc.patch).toEqual([{ op: 'add', path: '/metadata/labels', value: { team: 'team-a' } }]);
    expect(doc.object.metadata.labels).toEqual({ team: 'team-a' });
  });

  test('a patch through a `__proto__` key: the object shows it as an ordinary annotation, exit 0', async () => {
    const PROTO = fixture('policies', 'proto-annotation.yaml');
    const ANNOTATED = fixture('resources', 'pod-annotated.yaml');
    const { code, doc, err } = await json('--policy', PROTO, '--resource', ANNOTATED);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(doc.patch).toEqual([
      { op: 'add', path: '/metadata/annotations/__proto__', value: 'p' },
      { op: 'add', path: '/metadata/annotations/constructor', value: 'c' },
    ]);
    const annotations = doc.object.metadata.annotations as Record<string, unknown>;
    expect(Object.keys(annotations)).toEqual(['owner', '__proto__', 'constructor']);
    expect(Object.hasOwn(annotations, '__proto__') && annotations['__proto__']).toBe('p');
    expect(({} as Record<string, unknown>)['p']).toBeUndefined();
    for (const format of ['text', 'yaml']) {
      const printed = await run('--policy', PROTO, '--resource', ANNOTATED, '--output', format);
      expect(printed.code).toBe(0);
      expect(printed.out).toMatch(/^\s+annotations:\n\s+owner: alice\n\s+__proto__: p\n\s+constructor: c$/m);
    }
  });

  test('yaml and text output quote strings a YAML 1.1 reader would take for numbers, booleans or null', async () => {
    const NUMBER_LIKE = fixture('policies', 'number-like-annotations.yaml');
    const expected = { underscores: '1_000', octal: '0o17', hex: '0X1F', sexagesimal: '1:20', bool: 'yEs', off: 'OFF', null: '~', inf: '.Inf', merge: '<<', plain: 'web' };
    const printed = await run('--policy', NUMBER_LIKE, '--resource', POD, '--output', 'yaml');
    expect(printed.code).toBe(0);
    const doc = yaml.load(printed.out) as Record<string, any>;
    expect(doc.object.metadata.annotations).toEqual(expected);
    for (const [key, value] of Object.entries(expected)) {
      const line = new RegExp(`^\\s+'?${key}'?: (.*)$`, 'gm');
      const shown = [...printed.out.matchAll(line)].map((m) => m[1]);
      // in the patch's value and in the object
      expect(shown).toEqual(key === 'plain' ? [value, value] : [`'${value}'`, `'${value}'`]);
    }
    const text = await run('--policy', NUMBER_LIKE, '--resource', POD);
    expect(text.out).toMatch(/^\s+underscores: '1_000'$/m);
    expect(text.out).toMatch(/^\s+bool: 'yEs'$/m);
  });

  test("a policy's log.<level>(...) messages appear under it, with their level", async () => {
    const LOG = fixture('policies', 'log-containers.yaml');
    const { code, doc } = await json('--policy', LOG, '--resource', POD);
    expect(code).toBe(0);
    expect(doc.policies[0].logs).toEqual([expect.stringMatching(/^\[info\] checking web containers=1$/), expect.stringMatching(/^\[debug\] request by /)]);
    const text = await run('--policy', LOG, '--resource', POD);
    expect(text.out).toContain('    log:');
    expect(text.out).toContain('| [info] checking web');
  });

  test('a violation in the validate phase: exit 1 with the denial status', async () => {
    const { code, doc } = await json('--policy', DENY, '--resource', PRIVILEGED);
    expect(code).toBe(1);
    expect(doc.status.code).toBe(403);
    expect(doc.policies[0]).toMatchObject({ result: 'violated', phase: 'validate' });
  });

  test('Validate policies see the object after the mutate phase', async () => {
    const { code, doc } = await json('--policy', ADD, '--policy', DENY, '--resource', POD);
    expect(code).toBe(0);
    expect(doc.policies.map((p: { result: string }) => p.result)).toEqual(['mutated', 'passed']);
  });

  test('failureAction abort denies with 500 and the position in the policy file; validate phase not run', async () => {
    const { code, doc } = await json('--policy', BROKEN, '--policy', DENY, '--resource', PRIVILEGED);
    expect(code).toBe(1);
    expect(doc.status.code).toBe(500);
    const broken = doc.policies.find((p: { policy: string }) => p.policy === 'team-a/broken');
    expect(broken).toMatchObject({ result: 'failed', failureAction: 'abort' });
    // spec.source starts on line 11 of broken.yaml, the error is on KCL line 2, indented by 4
    expect(broken.reason).toContain(`${BROKEN}:12:5: E3M38`);
    expect(doc.policies.find((p: { policy: string }) => p.policy === 'team-a/deny-privileged').result).toBe('not_selected');
  });

  test('failureAction warn allows with a warning and an audit annotation', async () => {
    const { code, doc } = await json('--policy', WARN, '--resource', POD);
    expect(code).toBe(0);
    expect(doc.policies[0]).toMatchObject({ result: 'failed', failureAction: 'warn' });
    expect(doc.warnings).toHaveLength(1);
    expect(Object.keys(doc.auditAnnotations)).toEqual(['failed.team-a.warn-broken']);
  });

  test('strictMode policy not named by the object is skipped', async () => {
    const { doc } = await json('--policy', STRICT, '--resource', POD);
    expect(doc.policies[0].result).toBe('skipped');
  });

  test('consent annotations drop a mutation', async () => {
    const { code, doc } = await json('--policy', ADD, '--resource', fixture('resources', 'pod-no-mutate.yaml'));
    expect(code).toBe(0);
    expect(doc.policies[0].result).toBe('not_consented');
    expect(doc.patch).toEqual([]);
  });

  test('another namespace is not selected', async () => {
    const { doc } = await json('--policy', ADD, '--resource', fixture('resources', 'pod-other-ns.yaml'));
    expect(doc.policies[0]).toMatchObject({ result: 'not_selected' });
  });

  test('--rbac: the ServiceAccount with a grant mutates, the one without may not validate', async () => {
    const rbac = fixture('rbac');
    const mutated = await json('--policy', ADD, '--resource', POD, '--rbac', rbac);
    expect(mutated.doc.policies[0].result).toBe('mutated');
    const denied = await json('--policy', DENY, '--resource', PRIVILEGED, '--rbac', rbac, '--trace');
    expect(denied.code).toBe(0);
    expect(denied.doc.policies[0].result).toBe('not_authorized');
    expect(denied.doc.trace.some((l: string) => l.includes('ServiceAccount team-a/validator'))).toBe(true);
  });

  test('--trace without --rbac says the authorizer allows everything', async () => {
    const { doc } = await json('--policy', ADD, '--resource', POD, '--trace');
    expect(doc.trace.some((l: string) => l.includes('allow-all'))).toBe(true);
  });

  test('UPDATE and DELETE requests', async () => {
    const update = await json('--policy', ADD, '--resource', POD, '--old', POD, '--operation', 'UPDATE');
    expect(update.doc.policies[0].result).toBe('mutated');
    // DELETE is not in the default operations [CREATE, UPDATE]
    const del = await json('--policy', ADD, '--old', POD, '--operation', 'DELETE');
    expect(del.code).toBe(0);
    expect(del.doc.policies[0].result).toBe('not_selected');
  });

  test('--user and repeated --group reach option("request").userInfo', async () => {
    const policy = fixture('policies', 'only-alice.yaml');
    const alice = await json('--policy', policy, '--resource', POD, '--user', 'alice', '--group', 'dev', '--group', 'system:authenticated');
    expect(alice.code).toBe(0);
    expect(alice.doc.policies[0].result).toBe('passed');
    const other = await json('--policy', policy, '--resource', POD, '--user', 'alice');
    expect(other.code).toBe(1);
    expect(other.doc.policies[0].result).toBe('violated');
  });

  test('text and yaml output', async () => {
    const text = await run('--policy', ADD, '--resource', POD);
    expect(text.out).toMatch(/^\s+team-a\/add-team-label: mutated$/m);
    expect(text.out).toMatch(/^decision: allowed/m);
    const yaml = await run('--policy', DENY, '--resource', PRIVILEGED, '--output', 'yaml');
    expect(yaml.code).toBe(1);
    expect(yaml.out).toMatch(/^allowed: false$/m);
  });

  test.each<[string, string[], string]>([
    ['no --policy', ['--resource', POD], 'C1008'],
    ['no --resource', ['--policy', ADD], 'C1008'],
    ['DELETE without --old', ['--policy', ADD, '--operation', 'DELETE'], 'C1008'],
    ['unknown flag', ['--policy', ADD, '--resource', POD, '--nope'], 'C1003'],
    ['a stray argument', ['--policy', ADD, '--resource', POD, 'extra'], 'C1007'],
    ['bad operation', ['--policy', ADD, '--resource', POD, '--operation', 'PATCH'], 'C1006'],
    ['missing file', ['--policy', ADD, '--resource', fixture('resources', 'missing.yaml')], 'C2001'],
    ['invalid YAML', ['--policy', ADD, '--resource', fixture('testdata', 'not-yaml.yaml')], 'C2003'],
    ['a resource that is not an object', ['--policy', ADD, '--resource', fixture('testdata', 'not-an-object.yaml')], 'C2005'],
    ['a resource file with two documents', ['--policy', ADD, '--resource', fixture('testdata', 'two-documents.yaml')], 'C2004'],
    ['policy file without a KCLRun', ['--policy', POD, '--resource', POD], 'C2006'],
    ['namespace file without a Namespace', ['--policy', ADD, '--resource', POD, '--namespace', POD], 'C2007'],
    ['invalid manifest', ['--policy', fixture('testdata', 'check', 'bad-schema.yaml'), '--resource', POD], 'C2008'],
    ['invalid RBAC manifests', ['--policy', ADD, '--resource', POD, '--rbac', fixture('testdata', 'rbac-broken')], 'C2009'],
    ['a --kcl-registry with a tag', ['--policy', ADD, '--resource', POD, '--kcl-registry', 'ghcr.io/kcl-lang:1.0'], 'C1013'],
    ['plain HTTP to a registry off this machine', ['--policy', ADD, '--resource', POD, '--registry-plain-http', 'registry.example.com:5000'], 'C1013'],
    ['a --registry-ca-file that does not exist', ['--policy', ADD, '--resource', POD, '--registry-ca-file', fixture('nope.pem')], 'C2001'],
    ['a --registry-ca-file without a certificate', ['--policy', ADD, '--resource', POD, '--registry-ca-file', POD], 'C2019'],
  ])('usage or input error (%s): one coded line, exit 2, nothing on stdout', async (_name, argv, expected) => {
    const captured = await run(...argv);
    expect(cliErrorCode(captured, 'eval')).toBe(expected);
    expect(captured.out).toBe('');
  });
});
