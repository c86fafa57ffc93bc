// Host modules (RunOptions.host / CompileOptions.hostModules): a module the embedding program
// names at compile time and answers per run. The reference KCL has no such mechanism; what is
// checked here is the contract: resolution at compile time, argument binding, the answer counted
// against the run's budgets, and the host's refusals surfacing with their codes at the call.
import { beforeEach, describe, expect, test } from '@jest/globals';
import { clearModuleCache, compile, compilePackage, memoryLoader, toPlain, type CompileResult, type HostCall, type HostCallHandler, type HostModuleSpec, type RunLimits } from '../index.js';
import { KDict } from '../value.js';

const KUBE: HostModuleSpec = {
  name: 'kube',
  functions: [
    { name: 'get', params: ['apiVersion', 'kind', 'namespace', 'name'] },
    { name: 'list', params: ['apiVersion', 'kind', 'namespace', 'labelSelector'], required: 2 },
  ],
};

function compiled(source: string, hostModules: HostModuleSpec[] = [KUBE]): CompileResult {
  return compile(source, 'main.k', { hostModules });
}

function runWith(source: string, host: HostCallHandler | undefined, limits?: RunLimits): { value?: unknown; code?: string; line?: number; col?: number } {
  const c = compiled(source);
  if (!c.ok) return { code: c.diagnostics[0]!.code, line: c.diagnostics[0]!.span?.line };
  const r = c.program.run({ host, limits });
  if (!r.ok) return { code: r.diagnostic.code, line: r.diagnostic.span?.line, col: r.diagnostic.span?.col };
  return { value: toPlain(new KDict(r.exports)) };
}

beforeEach(() => clearModuleCache());

describe('host modules at compile time', () => {
  test('import resolves only when the host names the module', () => {
    expect(compiled('import kube\nx = 1\n').ok).toBe(true);
    const without = compile('import kube\nx = 1\n', 'main.k');
    expect(without.ok ? undefined : without.diagnostics[0]!.code).toBe('E2F04');
  });

  test('a function the module does not have is an error (E2L23, as for system modules), never a host call', () => {
    let asked = false;
    const out = runWith('import kube\nx = kube.delete("v1", "Pod", "a", "b")\n', () => {
      asked = true;
      return { ok: true, value: null };
    });
    expect(out.code).toBe('E2L23');
    expect(asked).toBe(false);
  });

  test('system modules win over a host module of the same name', () => {
    const c = compiled('import json\nx = json.encode({a = 1})\n', [{ name: 'json', functions: [{ name: 'get', params: [] }] }]);
    expect(c.ok).toBe(true);
    const r = c.ok ? c.program.run() : undefined;
    expect(r?.ok && toPlain(new KDict(r.exports))).toEqual({ x: '{"a": 1}' });
  });

  test('a package module may import the host module; the shared plan is not reused without it', () => {
    const files = { '/p/main.k': 'import lib\nx = lib.first()\n', '/p/lib/lib.k': 'import kube\nfirst = lambda { kube.list("v1", "Pod") }\n' };
    const withHost = compilePackage('/p', memoryLoader(files), { hostModules: [KUBE] });
    expect(withHost.ok).toBe(true);
    const without = compilePackage('/p', memoryLoader(files));
    expect(without.ok ? undefined : without.diagnostics[0]!.code).toBe('E2F04');
    if (withHost.ok) {
      const r = withHost.program.run({ host: () => ({ ok: true, value: [{ a: 1 }] }) });
      expect(r.ok && toPlain(r.exports.get('x')!)).toEqual([{ a: 1 }]);
    }
  });
});

describe('host calls at run time', () => {
  test('arguments reach the host as JSON, by position or keyword; a missing optional one is null', () => {
    const calls: HostCall[] = [];
    const host: HostCallHandler = (call) => {
      calls.push(call);
      return { ok: true, value: { items: [1, 'two', { three: 3.5 }] } };
    };
    const out = runWith('import kube\na = kube.get("v1", "ConfigMap", "team-a", name = "cm")\nb = kube.list("v1", "Pod")\n', host);
    expect(out.value).toEqual({ a: { items: [1, 'two', { three: 3.5 }] }, b: { items: [1, 'two', { three: 3.5 }] } });
    expect(calls.map(({ module, function: fn, args }) => ({ module, fn, args }))).toEqual([
      { module: 'kube', fn: 'get', args: ['v1', 'ConfigMap', 'team-a', 'cm'] },
      { module: 'kube', fn: 'list', args: ['v1', 'Pod', null, null] },
    ]);
  });

  test('dict arguments cross as plain JSON', () => {
    let seen: unknown;
    runWith('import kube\na = kube.list("v1", "Pod", "ns", {matchLabels = {app = "web"}})\n', (call) => {
      seen = call.args[3];
      return { ok: true, value: [] };
    });
    expect(seen).toEqual({ matchLabels: { app: 'web' } });
  });

  test.each([
    ['a missing required argument', 'kube.get("v1", "Pod", "ns")', 'E2L23'],
    ['too many arguments', 'kube.get("v1", "Pod", "ns", "a", "b")', 'E2L23'],
    ['an unknown keyword', 'kube.list("v1", "Pod", labels = "a=b")', 'E2L23'],
  ])('%s is an error at the call', (_what, call, expected) => {
    expect(runWith(`import kube\nx = ${call}\n`, () => ({ ok: true, value: null })).code).toBe(expected);
  });

  test("the host's refusal is the run's diagnostic, at the call", () => {
    const out = runWith('import kube\n\nx = 1\ny = kube.get("v1", "Secret", "ns", "s")\n', () => ({ ok: false, code: 'K9008', message: 'forbidden' }));
    expect(out).toMatchObject({ code: 'K9008', line: 4 });
  });

  test('without a host, a call fails with K9009; a host that throws is K9009 too', () => {
    expect(runWith('import kube\nx = kube.list("v1", "Pod")\n', undefined).code).toBe('K9009');
    expect(
      runWith('import kube\nx = kube.list("v1", "Pod")\n', () => {
        throw new Error('boom');
      }).code,
    ).toBe('K9009');
  });

  test('a module that is imported but never called needs no host', () => {
    expect(runWith('import kube\nx = 1\n', undefined).value).toEqual({ x: 1 });
  });

  test('the host is told the time left, and the wait counts against the time budget', () => {
    let now = 1_000;
    const clock = () => now;
    let remaining = -1;
    const slow: HostCallHandler = (call) => {
      remaining = call.remainingMs;
      now += call.remainingMs + 1;
      return { ok: true, value: [] };
    };
    const out = runWith('import kube\nx = kube.list("v1", "Pod")\n', slow, { timeoutMs: 200, clock });
    expect(remaining).toBe(200);
    expect(out.code).toBe('K9003');
  });

  test('a call after the budget is spent does not reach the host', () => {
    let now = 0;
    let calls = 0;
    const host: HostCallHandler = () => {
      calls += 1;
      now += 150;
      return { ok: true, value: [] };
    };
    // The first call spends 150 of 100 ms: K9003 right after it, the second never happens.
    expect(runWith('import kube\nx = kube.list("v1", "Pod")\ny = kube.list("v1", "Pod")\n', host, { timeoutMs: 100, clock: () => now }).code).toBe('K9003');
    expect(calls).toBe(1);
  });

  test('an answer larger than the size limits is K9004, counted like values the program builds', () => {
    const many = Array.from({ length: 50 }, (_, i) => ({ i }));
    expect(runWith('import kube\nx = kube.list("v1", "Pod")\n', () => ({ ok: true, value: many }), { maxValueSize: 10 }).code).toBe('K9004');
    const long = 'x'.repeat(2048);
    expect(runWith('import kube\nx = kube.list("v1", "Pod")\n', () => ({ ok: true, value: [long] }), { maxStringBytes: 1024 }).code).toBe('K9004');
    const wide = Array.from({ length: 100 }, () => 'y'.repeat(1000));
    expect(runWith('import kube\nx = kube.list("v1", "Pod")\n', () => ({ ok: true, value: wide }), { maxAllocBytes: 50_000 }).code).toBe('K9004');
    // Each dict and list with its own heap, as a decoder's: 1,000 empty objects are 256 KB, not nothing.
    const empty = Array.from({ length: 1000 }, () => ({}));
    expect(runWith('import kube\nx = kube.list("v1", "Pod")\n', () => ({ ok: true, value: empty }), { maxAllocBytes: 200_000 }).code).toBe('K9004');
  });

  test('arguments larger than the string limit are refused before the host is asked', () => {
    let asked = false;
    const out = runWith('import kube\n_big = "a" * 990\nx = kube.get("v1", "Pod", "ns", _big)\n', () => {
      asked = true;
      return { ok: true, value: null };
    }, { maxStringBytes: 1000 });
    expect(out.code).toBe('K9004');
    expect(asked).toBe(false);
  });
});
