import { beforeEach, describe, expect, test } from '@jest/globals';
import { clearModuleCache, compilePackage, memoryLoader, moduleCacheStats, renderRunOutput, toPlain, type CompileResult, type Program } from '../index.js';

const K8S = {
  '/deps/k8s/kcl.mod': '[package]\nname = "k8s"\nversion = "1.31"\n',
  '/deps/k8s/api/core/v1/pod.k': 'import apimachinery.pkg.apis.meta.v1\nschema Pod:\n    kind: "Pod" = "Pod"\n    metadata?: v1.ObjectMeta\n',
  '/deps/k8s/apimachinery/pkg/apis/meta/v1/object_meta.k': 'schema ObjectMeta:\n    name?: str\n    labels?: {str:str}\n',
};

function program(result: CompileResult): Program {
  if (!result.ok) throw new Error(result.diagnostics.map((d) => `${d.code} ${d.span?.file}:${d.span?.line} ${d.message}`).join('\n'));
  return result.program;
}

function output(p: Program, options = {}): unknown {
  const r = p.run({ options });
  if (!r.ok) throw new Error(`${r.diagnostic.code} ${r.diagnostic.message}`);
  return Object.fromEntries([...r.exports].map(([k, v]) => [k, toPlain(v)]));
}

function errorOf(result: CompileResult): { code: string; file?: string; line?: number } {
  if (result.ok) throw new Error('expected a compile error');
  const d = result.diagnostics[0]!;
  return { code: d.code, file: d.span?.file, line: d.span?.line };
}

beforeEach(() => clearModuleCache());

describe('compilePackage', () => {
  test('the main module is every .k file of the root (test files excluded), in name order', () => {
    const loader = memoryLoader({ '/p/b.k': 'b = a + 1\n', '/p/a.k': 'a = 1\n', '/p/a_test.k': 'assert False\n' });
    expect(output(program(compilePackage('/p', loader)))).toEqual({ a: 1, b: 2 });
  });

  test('explicit files and kcl.mod entries choose the main module', () => {
    const loader = memoryLoader({ '/p/a.k': 'a = 1\n', '/p/b.k': 'b = 2\n', '/p/kcl.mod': '[profile]\nentries = ["b.k"]\n' });
    expect(output(program(compilePackage('/p', loader)))).toEqual({ b: 2 });
    expect(output(program(compilePackage('/p', loader, { files: ['a.k'] })))).toEqual({ a: 1 });
  });

  test('dependencies from kcl.mod: path, vendored, package home, and explicit roots', () => {
    const main = 'import k8s.api.core.v1 as core\npod = core.Pod {metadata.name = "web"}\n';
    const expected = { pod: { kind: 'Pod', metadata: { name: 'web' } } };
    const vendored = Object.fromEntries(Object.entries(K8S).map(([k, v]) => [k.replace('/deps/k8s', '/p/vendor/k8s_1.31'), v]));
    const byVersion = '[dependencies]\nk8s = "1.31"\n';
    expect(output(program(compilePackage('/p', memoryLoader({ ...K8S, '/p/main.k': main, '/p/kcl.mod': '[dependencies]\nk8s = { path = "../deps/k8s" }\n' }))))).toEqual(expected);
    expect(output(program(compilePackage('/p', memoryLoader({ ...vendored, '/p/main.k': main, '/p/kcl.mod': byVersion }))))).toEqual(expected);
    const home = Object.fromEntries(Object.entries(K8S).map(([k, v]) => [k.replace('/deps/k8s', '/home/kpm/k8s_1.31'), v]));
    expect(output(program(compilePackage('/p', memoryLoader({ ...home, '/p/main.k': main, '/p/kcl.mod': byVersion }), { packageHome: '/home/kpm' })))).toEqual(expected);
    expect(output(program(compilePackage('/p', memoryLoader({ ...K8S, '/p/main.k': main }), { externalPackages: { k8s: '/deps/k8s' } })))).toEqual(expected);
  });

  test("a dependency's own kcl.mod dependencies resolve (vendored beside it in the main package's vendor/)", () => {
    const loader = memoryLoader({
      '/p/kcl.mod': '[dependencies]\nhelper = "0.1.0"\n',
      '/p/main.k': 'import helper\nx = helper.v\n',
      '/p/vendor/helper_0.1.0/kcl.mod': '[package]\nname = "helper"\n[dependencies]\nbase = "1.0.0"\n',
      '/p/vendor/helper_0.1.0/h.k': 'import base\nv = base.b + 1\n',
      '/p/vendor/base_1.0.0/b.k': 'b = 41\n',
    });
    expect(output(program(compilePackage('/p', loader)))).toEqual({ x: 42 });
  });

  test('a dependency that is not on disk is an E2F04 at the import, naming where it was looked for', () => {
    const result = compilePackage('/p', memoryLoader({ '/p/main.k': 'import k8s\nx = 1\n', '/p/kcl.mod': '[dependencies]\nk8s = "1.31"\n' }));
    expect(errorOf(result)).toEqual({ code: 'E2F04', file: '/p/main.k', line: 1 });
    expect(!result.ok && result.diagnostics[0]!.message).toContain('/p/vendor/k8s_1.31');
  });

  test('a broken kcl.mod is an E2F05 at its line', () => {
    expect(errorOf(compilePackage('/p', memoryLoader({ '/p/main.k': 'x = 1\n', '/p/kcl.mod': '[package]\nname = \n' })))).toEqual({ code: 'E2F05', file: '/p/kcl.mod', line: 2 });
  });

  test('a dependency is planned once and shared by every program importing the same content', () => {
    const files = { ...K8S, '/a/main.k': 'import k8s.api.core.v1 as core\np = core.Pod {}\n', '/b/main.k': 'import k8s.api.core.v1\nq = v1.Pod {}\n' };
    const loader = memoryLoader(files);
    const a = program(compilePackage('/a', loader, { externalPackages: { k8s: '/deps/k8s' } }));
    const planned = moduleCacheStats().modules;
    const b = program(compilePackage('/b', loader, { externalPackages: { k8s: '/deps/k8s' } }));
    expect(moduleCacheStats().modules).toBe(planned);
    expect(moduleCacheStats().hits).toBeGreaterThanOrEqual(1);
    expect(output(a)).toEqual({ p: { kind: 'Pod' } });
    expect(output(b)).toEqual({ q: { kind: 'Pod' } });
  });

  test('changed dependency content is planned anew (the cache is keyed by content)', () => {
    const base = { '/p/main.k': 'import lib\nx = lib.v\n' };
    expect(output(program(compilePackage('/p', memoryLoader({ ...base, '/p/lib/l.k': 'v = 1\n' }))))).toEqual({ x: 1 });
    expect(output(program(compilePackage('/p', memoryLoader({ ...base, '/p/lib/l.k': 'v = 2\n' }))))).toEqual({ x: 2 });
  });

  test('an imported module runs once per run and keeps no state between runs', () => {
    const loader = memoryLoader({
      '/p/main.k': 'import lib\nimport lib as again\nn = len(lib.S.instances())\na = lib.made\nb = again.made\nc = lib.S {v = option("v")}\n',
      '/p/lib/l.k': 'print("lib")\nschema S:\n    v: int = 0\nmade = S {}\n',
    });
    const p = program(compilePackage('/p', loader));
    for (const v of [1, 2]) {
      const r = p.run({ options: { v } });
      expect(r.ok && r.printed).toBe('lib\n');
      expect(r.ok && toPlain(r.exports.get('c')!)).toEqual({ v });
      expect(r.ok && r.exports.get('n')).toBe(1);
    }
  });

  test('errors inside an imported file name that file, at compile and at run time', () => {
    const broken = (lib: string) => memoryLoader({ '/p/main.k': 'import lib\nx = lib.v\n', '/p/lib/l.k': lib });
    expect(errorOf(compilePackage('/p', broken('v = 1 +\n')))).toEqual({ code: 'E1001', file: '/p/lib/l.k', line: 1 });
    expect(errorOf(compilePackage('/p', broken('v = w\n')))).toEqual({ code: 'E2L23', file: '/p/lib/l.k', line: 1 });
    const r = program(compilePackage('/p', broken('v = 1\nassert v > 1, "too small"\n'))).run();
    expect(!r.ok && [r.diagnostic.code, r.diagnostic.span?.file, r.diagnostic.span?.line]).toEqual(['E3M41', '/p/lib/l.k', 2]);
  });

  test("an imported module's evaluation counts against the run's budget and names its file", () => {
    const loader = memoryLoader({ '/p/main.k': 'import lib\nx = lib.v\n', '/p/lib/l.k': 'v = [i for i in range(10) for j in range(1000)]\n' });
    const r = program(compilePackage('/p', loader)).run({ limits: { maxSteps: 1000 } });
    expect(!r.ok && [r.diagnostic.code, r.diagnostic.span?.file]).toEqual(['K9001', '/p/lib/l.k']);
  });

  test('an import cycle is reported at the import that closes it', () => {
    const loader = memoryLoader({ '/p/main.k': 'import a\nx = a.v\n', '/p/a/a.k': 'import b\nv = b.w\n', '/p/b/b.k': 'import a\nw = 1\n' });
    const result = compilePackage('/p', loader);
    expect(errorOf(result)).toEqual({ code: 'E1001', file: '/p/b/b.k', line: 1 });
    expect(!result.ok && result.diagnostics[0]!.title).toBe('RecursiveLoad');
  });

  test('a policy cannot escape its package with relative imports, and the sandbox still holds', () => {
    expect(errorOf(compilePackage('/p', memoryLoader({ '/p/main.k': 'import ..secret\nx = 1\n', '/secret/s.k': 's = 1\n' })))).toEqual({ code: 'E2F04', file: '/p/main.k', line: 1 });
    expect(errorOf(compilePackage('/p', memoryLoader({ '/p/main.k': 'import lib\nx = lib.v\n', '/p/lib/l.k': 'import os\nv = 1\n' })))).toEqual({ code: 'K9005', file: '/p/lib/l.k', line: 1 });
  });

  test('a chain of imports deeper than the limit ends in K9002, not a stack overflow', () => {
    const files: Record<string, string> = { '/p/main.k': 'import m0\nx = m0.v\n' };
    for (let i = 0; i < 150; i++) files[`/p/m${i}/m.k`] = i < 149 ? `import m${i + 1}\nv = m${i + 1}.v\n` : 'v = 1\n';
    expect(errorOf(compilePackage('/p', memoryLoader(files))).code).toBe('K9002');
    const shallow: Record<string, string> = { '/p/main.k': 'import m0\nx = m0.v\n' };
    for (let i = 0; i < 50; i++) shallow[`/p/m${i}/m.k`] = i < 49 ? `import m${i + 1}\nv = m${i + 1}.v\n` : 'v = 1\n';
    expect(output(program(compilePackage('/p', memoryLoader(shallow))))).toEqual({ x: 1 });
  });

  test('an empty directory or a missing one is a clear error, never a throw', () => {
    expect(errorOf(compilePackage('/nowhere', memoryLoader({})))).toEqual({ code: 'E2F05', file: undefined, line: undefined });
    expect(errorOf(compilePackage('/p', memoryLoader({ '/p/x.txt': '' })))).toEqual({ code: 'E2F05', file: undefined, line: undefined });
  });

  test('the output renders like kcl run', () => {
    const p = program(compilePackage('/p', memoryLoader({ '/p/main.k': 'import lib\nitems = [lib.item]\n', '/p/lib/l.k': 'item = {a = 1}\n' })));
    const r = p.run();
    expect(r.ok && renderRunOutput(r)).toBe('items:\n- a: 1\n');
  });
});
