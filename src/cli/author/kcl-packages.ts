/**
 * KCL files on disk as the packages they belong to, for `run`, `check` and `test`: a file's
 * package root is the nearest directory above it holding a kcl.mod (else its own directory), the
 * files of one directory form one module, and kcl.mod dependencies resolve as `kcl run` resolves
 * them (fs-loader.ts). Extra in-memory files can be laid over the disk (a test's call site).
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { compilePackage, memoryLoader, type CompileResult, type PackageLoader } from '../../kcl/index.js';
import { fsLoader, referencePackageHome } from './fs-loader.js';

export const KCL_SUFFIX = '.k';
export const KCL_TEST_SUFFIX = '_test.k';

/** The package root of a file: the nearest directory above it holding a kcl.mod, else its own. */
export function packageRootOf(file: string): string {
  const start = dirname(file);
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'kcl.mod'))) return relative(process.cwd(), dir) || '.';
    if (dirname(dir) === dir) return start;
  }
}

/** The module files of a directory: its `.k` files but tests, in name order. */
export function moduleFilesOf(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => n.endsWith(KCL_SUFFIX) && !n.endsWith(KCL_TEST_SUFFIX))
    .sort()
    .map((n) => join(dir, n));
}

/** The disk, with some files replaced or added in memory. */
export function overlayLoader(extra: Readonly<Record<string, string>>): PackageLoader {
  const memory = memoryLoader(extra);
  return {
    readDir(path) {
      const disk = fsLoader.readDir(path);
      const added = memory.readDir(path);
      if (!added) return disk;
      const names = new Set((disk ?? []).map((e) => e.name));
      return [...(disk ?? []), ...added.filter((e) => !names.has(e.name))];
    },
    readFile(path) {
      return memory.readFile(path) ?? fsLoader.readFile(path);
    },
  };
}

/**
 * Compiles files as the main module of their package (all from one directory; `extra` adds
 * in-memory files, named by path). Diagnostics name files as given, relative to the cwd.
 */
export function compileKclFiles(files: readonly string[], extra: Readonly<Record<string, string>> = {}): CompileResult {
  const root = packageRootOf(files[0]!);
  const loader = Object.keys(extra).length > 0 ? overlayLoader(extra) : fsLoader;
  return compilePackage(root, loader, {
    files: files.map((f) => relative(root, f).split('\\').join('/')),
    packageHome: referencePackageHome(),
  });
}
