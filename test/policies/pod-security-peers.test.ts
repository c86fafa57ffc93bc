/**
 * The benchmarks compare kclguard's Pod Security Standards pack with the same checks written for
 * its peers (scripts/bench/pss-rego.mjs for OPA, PSS_CEL in scripts/bench/pss.mjs for the
 * in-tree ValidatingAdmissionPolicy). The benches send every case of the pack's tests to each
 * peer before measuring; this test keeps the peers' control lists in step with the pack, so a
 * control added to the pack cannot be measured against peers that skip it.
 */
import { describe, expect, test } from '@jest/globals';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { POLICIES_DIR } from './policy-suite.js';

const SCRIPTS = join(POLICIES_DIR, '..', 'scripts', 'bench');
const load = (file: string): Promise<Record<string, unknown>> => import(pathToFileURL(join(SCRIPTS, file)).href);

function packControls(): Map<string, string> {
  const controls = new Map<string, string>();
  for (const level of ['baseline', 'restricted']) {
    for (const name of readdirSync(join(POLICIES_DIR, 'pod-security', level))) controls.set(name, level);
  }
  return controls;
}

describe('the peers of the Pod Security Standards pack', () => {
  const controls = packControls();

  test('the pack has the 18 controls of the restricted level', () => {
    expect(controls.size).toBe(18);
  });

  test('the Rego twins implement every control of the pack, at its level, and nothing else', async () => {
    const { PSS_REGO } = (await load('pss-rego.mjs')) as { PSS_REGO: Record<string, [string, string]> };
    expect(Object.fromEntries(Object.entries(PSS_REGO).map(([name, [level]]) => [name, level]))).toEqual(Object.fromEntries(controls));
  });

  test('the ValidatingAdmissionPolicy has one CEL validation per control of the pack', async () => {
    const { PSS_CEL, celPolicyManifests } = (await load('pss.mjs')) as {
      PSS_CEL: Record<string, string>;
      celPolicyManifests: (name: string) => [{ spec: { validations: { message: string }[] } }, unknown];
    };
    expect(Object.keys(PSS_CEL).sort()).toEqual([...controls.keys()].sort());
    const [policy] = celPolicyManifests('p');
    expect(policy.spec.validations.map((v) => v.message.replace('violates PodSecurity: ', '')).sort()).toEqual([...controls.keys()].sort());
  });

  test('the benches check every passed and violated case of the pack against the peers', async () => {
    const { packCases } = (await load('pss.mjs')) as { packCases: (root: string) => { id: string; admitted: boolean }[] };
    const cases = packCases(join(POLICIES_DIR, '..'));
    const ids = new Set(cases.map((c) => c.id.split(':')[0]));
    expect([...ids].sort()).toEqual([...controls.keys()].sort());
    expect(cases.some((c) => c.admitted)).toBe(true);
    expect(cases.some((c) => !c.admitted)).toBe(true);
  });
});
