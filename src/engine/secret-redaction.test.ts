/**
 * A KCL error about a Secret may quote its data (a union conflict cites both values): the answer
 * carries such text with quoted literals redacted, and a recovery program's message too, since
 * it is naturally built from the failure's message (docs/policy-semantics.md, section 8).
 */
import { describe, expect, it } from '@jest/globals';
import { createAdmissionHandler } from './handler.js';
import { InProcessExecutor } from './in-process-executor.js';
import { kclCompiler } from './kcl-compiler.js';
import { PolicySet } from './policy-set.js';
import { kclRun, request } from './testing/fixtures.js';

const SECRET_VALUE = 'hunter2-TOPSECRET';
const conflict = 'items = [_o | {stringData: {password: "default"}} for _o in option("items")]\n';
const recovery = { source: 'action = "abort"\nmessage = "details: " + option("failure").message\n' };

async function review(resource: 'secrets' | 'configmaps', spec: Record<string, unknown>) {
  const policies = new PolicySet({ executor: new InProcessExecutor({ compiler: kclCompiler }) });
  await policies.replace([{ doc: kclRun('p', 'team-a', { mode: 'Validate', failureAction: 'abort', ...spec }) }]);
  const kind = resource === 'secrets' ? 'Secret' : 'ConfigMap';
  const object = { apiVersion: 'v1', kind, metadata: { name: 'db', namespace: 'team-a' }, stringData: { password: SECRET_VALUE } };
  return createAdmissionHandler({ policies })(
    request({ phase: 'validate', object, kind: { group: '', version: 'v1', kind }, resource: { group: '', version: 'v1', resource } }),
  );
}

describe('Secret data in answers', () => {
  it('a failure quoting the data is redacted in the denial, and so is the recovery message built from it', async () => {
    const decision = await review('secrets', { source: conflict, recovery });
    expect(decision.denial?.kind).toBe('failure');
    expect(decision.denial?.message).toContain('<redacted>');
    expect(decision.denial?.message).toContain('details: ');
    expect(JSON.stringify(decision)).not.toContain(SECRET_VALUE);
  });

  it('a violation message quoting the data is redacted', async () => {
    const decision = await review('secrets', { source: "assert False, \"password '\" + option(\"items\")[0].stringData.password + \"' is weak\"\n" });
    expect(decision.denial?.kind).toBe('violation');
    expect(JSON.stringify(decision)).not.toContain(SECRET_VALUE);
  });

  it('other kinds keep the full text, for the user who wrote the object', async () => {
    const decision = await review('configmaps', { source: conflict, recovery });
    expect(decision.denial?.message).toContain(SECRET_VALUE);
  });
});
