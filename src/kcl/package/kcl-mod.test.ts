import { describe, expect, test } from '@jest/globals';
import { dependencyDirName, parseKclMod } from './kcl-mod.js';
import { joinPath, memoryLoader, normalizePath, relativePath } from './loader.js';

describe('parseKclMod', () => {
  test('reads the package, every dependency form and the profile entries', () => {
    const text = `# a comment
[package]
name = "app"
edition = "v0.11.0"
version = "0.0.1"

[dependencies]
k8s = "1.31"
konfig = { git = "https://example.invalid/konfig.git", tag = "v0.4.0" }
helper = { path = "../helper" } # trailing comment
set = { oci = "oci://registry.invalid/kcl/set", tag = "0.1.0" }

[profile]
entries = ["main.k", 'sub/other.k']
`;
    const r = parseKclMod(text, 'kcl.mod');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.mod.name).toBe('app');
    expect(r.mod.version).toBe('0.0.1');
    expect([...r.mod.dependencies.values()]).toEqual([
      { name: 'k8s', version: '1.31' },
      { name: 'konfig', git: 'https://example.invalid/konfig.git', tag: 'v0.4.0' },
      { name: 'helper', path: '../helper' },
      { name: 'set', oci: 'oci://registry.invalid/kcl/set', tag: '0.1.0' },
    ]);
    expect(r.mod.entries).toEqual(['main.k', 'sub/other.k']);
    expect(dependencyDirName(r.mod.dependencies.get('k8s')!)).toBe('k8s_1.31');
    expect(dependencyDirName(r.mod.dependencies.get('set')!)).toBe('set_0.1.0');
  });

  test('a __proto__ key is data, not a prototype', () => {
    const r = parseKclMod('[dependencies]\n__proto__ = { path = "x" }\n', 'kcl.mod');
    expect(r.ok && [...r.mod.dependencies.keys()]).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).path).toBeUndefined();
  });

  test.each<[string, string, number]>([
    ['an unterminated string', '[package]\nname = "app\n', 2],
    ['a missing value', '[dependencies]\nk8s =\n', 2],
    ['a duplicate key', '[package]\nname = "a"\nname = "b"\n', 3],
    ['a table twice', '[package]\n[package]\n', 2],
    ['garbage after a value', 'x = "a" b\n', 1],
    ['a dependency without a source', '[dependencies]\nk8s = { features = [] }\n', 1],
    ['arrays nested past the limit', `x = ${'['.repeat(10_000)}\n`, 1],
    // A name or version is one directory of the program: never a path out of it.
    ['a version that climbs out of its directory', '[dependencies]\nz = { oci = "oci://evil.invalid/h", version = "1/../../../oci/registry.invalid/app" }\n', 1],
    ['a tag with a separator', '[dependencies]\nz = { oci = "oci://evil.invalid/h", tag = "a/b" }\n', 1],
    ['a version string of ..', '[dependencies]\nz = ".."\n', 1],
    ['a name with a separator', '[dependencies]\n"a/b" = "1.0"\n', 1],
    ['a name of ..', '[dependencies]\n".." = "1.0"\n', 1],
    ['an empty name', '[dependencies]\n"" = "1.0"\n', 1],
  ])('%s is an E2F05 at its line', (_name, text, line) => {
    const r = parseKclMod(text, 'pkg/kcl.mod');
    expect(r.ok ? undefined : r.diagnostics.map((d) => [d.code, d.span?.file, d.span?.line])).toEqual([['E2F05', 'pkg/kcl.mod', line]]);
  });
});

describe('paths and the in-memory loader', () => {
  test('normalises and relates paths', () => {
    expect(normalizePath('/a/./b//c/../d')).toBe('/a/b/d');
    expect(normalizePath('a/../..')).toBe('..');
    expect(normalizePath('/..')).toBe('/');
    expect(joinPath('/a', 'b', '../c')).toBe('/a/c');
    expect(joinPath('a', '/abs')).toBe('/abs');
    expect(relativePath('/a/b', '/a/c/d.k')).toBe('../c/d.k');
    expect(relativePath('.', 'lib')).toBe('lib');
  });

  test('lists directories implied by file paths', () => {
    const loader = memoryLoader({ '/p/main.k': 'a = 1', '/p/sub/x.k': 'x = 1', 'rel/y.k': '' });
    expect(loader.readDir('/p')).toEqual([
      { name: 'main.k', isDirectory: false },
      { name: 'sub', isDirectory: true },
    ]);
    expect(loader.readDir('/p/./sub/')).toEqual([{ name: 'x.k', isDirectory: false }]);
    expect(loader.readDir('rel')).toEqual([{ name: 'y.k', isDirectory: false }]);
    expect(loader.readDir('/p/main.k')).toBeUndefined();
    expect(loader.readFile('/p/sub/../main.k')).toBe('a = 1');
    expect(loader.readFile('/p/sub')).toBeUndefined();
  });
});
