import { describe, expect, it } from '@jest/globals';
import type { CompiledPolicy } from '../engine/compiled-policy.js';
import { compiledCondition, desiredStatus, generationOf } from './status-writer.js';

const identity = { kind: 'KCLRun' as const, namespace: 'team-a', name: 'p', key: 'team-a/p' };
const definition = { identity } as unknown as CompiledPolicy['definition'];
const ready: CompiledPolicy = { identity, state: 'ready', definition, program: {} as never, errors: [], diagnostics: [] };
const broken: CompiledPolicy = {
  identity,
  state: 'invalid',
  definition,
  errors: ['team-a/p.k:3:5: E1001 InvalidSyntax: expected expression'],
  diagnostics: [],
};
const granted = { status: 'True' as const, reason: 'Granted', message: 'ok' };
const denied = { status: 'False' as const, reason: 'InsufficientPermissions', message: 'no' };

describe('policy status', () => {
  it('reports a compile error with its line:col in Compiled and Ready', () => {
    const status = desiredStatus(broken, granted, 4, undefined, '2026-01-01T00:00:00Z');
    expect(status.observedGeneration).toBe(4);
    const compiled = status.conditions.find((c) => c.type === 'Compiled')!;
    expect(compiled).toMatchObject({ status: 'False', reason: 'CompileFailed' });
    expect(compiled.message).toContain('team-a/p.k:3:5');
    expect(status.conditions.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'CompileFailed' });
  });

  it('reports a policy compiled in the workers (no program on the main thread) as Compiled', () => {
    const inWorkers: CompiledPolicy = { identity, state: 'ready', definition, errors: [], diagnostics: [] };
    expect(compiledCondition(inWorkers)).toMatchObject({ status: 'True', reason: 'Compiled' });
  });

  it('is Ready only when compiled and RBAC is not refused', () => {
    expect(desiredStatus(ready, granted, 1, undefined, 't').conditions.find((c) => c.type === 'Ready')!.status).toBe('True');
    const refused = desiredStatus(ready, denied, 1, undefined, 't').conditions.find((c) => c.type === 'Ready')!;
    expect(refused).toMatchObject({ status: 'False', reason: 'InsufficientPermissions' });
  });

  it('moves lastTransitionTime only when a condition flips', () => {
    const first = desiredStatus(ready, granted, 1, undefined, 'first');
    const same = desiredStatus(ready, granted, 2, first, 'second');
    expect(same.conditions.every((c) => c.lastTransitionTime === 'first')).toBe(true);
    const flipped = desiredStatus(ready, denied, 3, same, 'third');
    expect(flipped.conditions.find((c) => c.type === 'RBACPermissionsGranted')!.lastTransitionTime).toBe('third');
    expect(flipped.conditions.find((c) => c.type === 'Compiled')!.lastTransitionTime).toBe('first');
  });

  it('names an invalid spec apart from a compile failure', () => {
    const invalid: CompiledPolicy = { identity, state: 'invalid', errors: ['spec.failureAction must be one of abort, warn, skip'], diagnostics: [] };
    expect(compiledCondition(invalid)).toMatchObject({ status: 'False', reason: 'SpecInvalid' });
  });

  it('reports the generation that was compiled, not the newer one in the informer cache', () => {
    const compiledAt3 = { ...ready, definition: { identity, manifest: { metadata: { name: 'p', generation: 3 } } } } as unknown as CompiledPolicy;
    expect(generationOf(compiledAt3, { metadata: { name: 'p', generation: 4 } })).toBe(3);
    const invalid: CompiledPolicy = { identity, state: 'invalid', errors: ['bad spec'], diagnostics: [] };
    expect(generationOf(invalid, { metadata: { name: 'p', generation: 4 } })).toBe(4);
  });

  it('marks a policy whose newest revision was rejected: Stale, Ready False, Compiled about the rejected revision', () => {
    const acting = { ...ready, definition: { identity, manifest: { metadata: { name: 'p', generation: 3 } } } } as unknown as CompiledPolicy;
    const stale: CompiledPolicy = { ...acting, stale: { errors: ['spec.recoveryPolicy skip contradicts spec.failureAction abort'], generation: 4 } };
    expect(generationOf(stale, { metadata: { name: 'p', generation: 4 } })).toBe(4);
    const status = desiredStatus(stale, granted, generationOf(stale, undefined), undefined, 't');
    const byType = Object.fromEntries(status.conditions.map((c) => [c.type, c]));
    expect(status.observedGeneration).toBe(4);
    expect(byType.Stale).toMatchObject({ status: 'True', reason: 'InvalidRevision' });
    expect(byType.Stale!.message).toContain('generation 4 is invalid');
    expect(byType.Stale!.message).toContain('generation 3 stays in force');
    expect(byType.Ready).toMatchObject({ status: 'False', reason: 'StaleRevision' });
    expect(byType.Compiled).toMatchObject({ status: 'False', reason: 'SpecInvalid', message: 'spec.recoveryPolicy skip contradicts spec.failureAction abort' });
    // Fixed: the Stale condition goes away.
    const fixed = desiredStatus(acting, granted, 5, status, 't2');
    expect(fixed.conditions.map((c) => c.type)).toEqual(['Compiled', 'RBACPermissionsGranted', 'Ready']);
  });

  it('shows the digest an oci:// source acts on, and stays Ready with reason SourceStale when it could not be refreshed', () => {
    const pulled: CompiledPolicy = { ...ready, source: { digest: `sha256:${'a'.repeat(64)}` } };
    const fresh = desiredStatus(pulled, granted, 1, undefined, 't');
    expect(fresh.source).toEqual({ digest: `sha256:${'a'.repeat(64)}` });
    expect(fresh.conditions.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'Ready' });
    const stale = desiredStatus({ ...pulled, source: { ...pulled.source!, stale: 'S2003 RegistryUnavailable: registry.test refused the connection' } }, granted, 1, fresh, 't');
    const readyCondition = stale.conditions.find((c) => c.type === 'Ready')!;
    expect(readyCondition).toMatchObject({ status: 'True', reason: 'SourceStale' });
    expect(readyCondition.message).toContain('S2003');
    expect(desiredStatus(ready, granted, 1, undefined, 't').source).toBeNull();
  });

  it('says SourceUnavailable for a source that never resolved (not Ready)', () => {
    const unresolved: CompiledPolicy = { identity, state: 'invalid', errors: ['the source could not be resolved: S2002 NotFound: x'], diagnostics: [], sourceError: 'S2002 NotFound: x' };
    const status = desiredStatus(unresolved, granted, 1, undefined, 't');
    expect(status.conditions.find((c) => c.type === 'Compiled')).toMatchObject({ status: 'False', reason: 'SourceUnavailable' });
    expect(status.conditions.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'SourceUnavailable' });
  });
});
