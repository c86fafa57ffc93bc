/**
 * Every code of the KCL catalogue (src/kcl/diagnostics.ts) is produced: one program per code,
 * run through the public API. A code nothing produces is removed from the catalogue (and from
 * docs/kcl-language.md, which docs-sync keeps in step), never kept "for later".
 */
import { describe, expect, test } from '@jest/globals';
import { compile, compilePackage, ErrorCodes, memoryLoader, type CompileResult, type ErrorCode, type RunLimits } from '../../src/kcl/index.js';
import { KUBE_MODULE, lookupClient, Lookups, parsePolicy, StaticLookupSource } from '../../src/engine/index.js';

/**
 * K9007-K9009 are a host module's refusals: produced here with kclguard's own `kube` module
 * answering for a KCLRun that declares ConfigMaps only, in namespace team-a.
 */
function lookup(source: string): () => string {
  return () => {
    const parsed = parsePolicy({ apiVersion: 'krm.kcl.dev/v1alpha1', kind: 'KCLRun', metadata: { name: 'p', namespace: 'team-a' }, spec: { source, lookups: [{ apiVersion: 'v1', kind: 'ConfigMap' }] } });
    if (!parsed.ok) throw new Error(parsed.errors.join('; '));
    const lookups = new Lookups({ source: new StaticLookupSource([], () => ({ resource: 'configmaps', namespaced: true })), syncAuthorizer: () => true });
    const host = lookupClient((policy, call, ms) => lookups.answerNow(policy, call, ms), lookups.limits)(parsed.policy, 0);
    const compiled = compile(source, 'main.k', { hostModules: [KUBE_MODULE] });
    if (!compiled.ok) return compiled.diagnostics[0]!.code;
    const result = compiled.program.run({ limits: { clock: () => 0 }, host });
    return result.ok ? 'ok' : result.diagnostic.code;
  };
}

/** Runs read a clock that never moves unless given one: steps, not machine speed, end them. */
function firstCode(compiled: CompileResult, limits: RunLimits = {}): string {
  if (!compiled.ok) return compiled.diagnostics[0]!.code;
  const result = compiled.program.run({ limits: { clock: () => 0, ...limits } });
  return result.ok ? 'ok' : result.diagnostic.code;
}

const program = (source: string, limits?: RunLimits) => () => firstCode(compile(source, 'main.k'), limits);

/** A program (or a package) that fails with each code, as its first diagnostic. */
const PRODUCERS: Record<ErrorCode, () => string> = {
  E1001: program('a = (1 +\n'),
  E2F04: program('import no_such_module\n'),
  E2F05: () => firstCode(compilePackage('/p', memoryLoader({ '/p/main.k': 'a = 1\n', '/p/kcl.mod': '[package]\nname = \n' }))),
  E2G22: program('a: int = "x"\n'),
  E2L23: program('a = b\n'),
  E2L28: program('schema A:\n    a: int = 1\nschema A:\n    b: int = 1\n'),
  E2A31: program('a = {x += 1}\n'),
  E2D34: program('x = 1\nschema A(x):\n    a: int = 1\n'),
  E3K04: program('a = float("inf")\n'),
  E3K09: program('a = 9223372036854775807 + 1\n'),
  E3M38: program('_l = [1]\na = _l[5]\n'),
  E3M40: program('schema A:\n    a: int = 1\n    check:\n        a > 1\nx = A {}\n'),
  E3M41: program('assert 1 > 2\n'),
  K9001: program('a = [x for x in range(100000)]\n', { maxSteps: 1000 }),
  K9002: program('f = lambda n { f(n + 1) }\na = f(0)\n'),
  K9003: () => {
    // A clock that moves 1 ms per read: the 5 ms budget is spent after a few reads.
    let now = 0;
    return program('a = [x for x in range(100000)]\n', { timeoutMs: 5, clock: () => (now += 1) })();
  },
  K9004: program('a = [1] * 10000\n', { maxValueSize: 100 }),
  K9005: program('import file\n'),
  K9006: program('import regex\na = regex.match("aa", r"(a)\\1")\n'),
  K9007: lookup('import kube\na = kube.list("v1", "Secret", "team-a")\n'),
  K9008: lookup('import kube\na = kube.list("v1", "ConfigMap", "team-b")\n'),
  // Without a host answering the module (the interpreter alone), a call fails with K9009.
  K9009: () => firstCode(compile('import kube\na = kube.list("v1", "ConfigMap", "team-a")\n', 'main.k', { hostModules: [KUBE_MODULE] })),
};

describe('the KCL error catalogue', () => {
  test('has a producer for every code and no producer for a code it does not have', () => {
    expect(Object.keys(PRODUCERS).sort()).toEqual(Object.keys(ErrorCodes).sort());
  });

  test.each(Object.keys(ErrorCodes) as ErrorCode[])('%s is produced', (code) => {
    expect(PRODUCERS[code]()).toBe(code);
  });
});
