/**
 * Lookups through the whole engine, in process: real KCL policies that read other objects, and
 * what a refused lookup does to the request — a policy failure handled by failureAction, never a
 * policy that silently sees nothing.
 */
import { describe, expect, it } from '@jest/globals';
import { createAdmissionHandler } from '../handler.js';
import { InProcessExecutor } from '../in-process-executor.js';
import { kclCompiler } from '../kcl-compiler.js';
import { PolicySet } from '../policy-set.js';
import { kclRun, request } from '../testing/fixtures.js';
import { StaticLookupSource } from './lookup-source.js';
import { Lookups } from './lookups.js';

const INGRESS = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' };

function ingress(namespace: string, name: string, host: string): Record<string, unknown> {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { namespace, name }, spec: { rules: [{ host }] } };
}

const UNIQUE_HOST = `import kube
_new = option("items")[0]
_hosts = {r.host: True for r in _new.spec.rules or []}
_others = [i for i in kube.list("networking.k8s.io/v1", "Ingress", _new.metadata.namespace) if i.metadata.name != _new.metadata.name]
_taken = [r.host for i in _others for r in i.spec.rules or [] if r.host in _hosts]
_shown = ", ".join(_taken)
assert not _taken, "host \${_shown} is already used by another Ingress"
`;

async function engine(spec: Record<string, unknown>, allowed = true) {
  const executor = new InProcessExecutor({
    compiler: kclCompiler,
    lookups: new Lookups({
      source: new StaticLookupSource([ingress('team-a', 'shop', 'shop.example.com')], () => ({ resource: 'ingresses', namespaced: true })),
      syncAuthorizer: () => allowed,
    }),
  });
  const policies = new PolicySet({ executor });
  await policies.replace([{ doc: kclRun('unique-host', 'team-a', { source: UNIQUE_HOST, mode: 'Validate', selector: { resourceKind: 'Ingress' }, ...spec }) }]);
  return createAdmissionHandler({ policies });
}

function ingressRequest(host: string) {
  return request({
    phase: 'validate',
    object: ingress('team-a', 'new', host),
    kind: { group: 'networking.k8s.io', version: 'v1', kind: 'Ingress' },
    resource: { group: 'networking.k8s.io', version: 'v1', resource: 'ingresses' },
  });
}

describe('lookups in the engine', () => {
  it('a policy reads other objects: a second Ingress with a taken host is denied, a new host admitted', async () => {
    const handler = await engine({ lookups: [INGRESS] });
    const taken = await handler(ingressRequest('shop.example.com'));
    expect(taken.denial).toMatchObject({ kind: 'violation', message: 'host shop.example.com is already used by another Ingress' });
    expect((await handler(ingressRequest('new.example.com'))).allowed).toBe(true);
  });

  it('an undeclared kind is a policy failure: abort denies with K9007', async () => {
    const decision = await engine({}).then((handler) => handler(ingressRequest('shop.example.com')));
    expect(decision.allowed).toBe(false);
    expect(decision.outcomes[0]).toMatchObject({ result: 'failed', code: 'K9007', action: 'abort' });
  });

  it("a read the ServiceAccount may not make is a failure (K9008), never an empty answer that admits: warn admits with the reason", async () => {
    const handler = await engine({ lookups: [INGRESS], failureAction: 'warn' }, false);
    const decision = await handler(ingressRequest('shop.example.com'));
    expect(decision.outcomes[0]).toMatchObject({ result: 'failed', code: 'K9008', action: 'warn' });
    expect(decision.warnings.join('\n')).toContain('K9008');
    const aborting = await engine({ lookups: [INGRESS] }, false);
    expect((await aborting(ingressRequest('new.example.com'))).allowed).toBe(false);
  });
});
