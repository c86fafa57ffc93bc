/**
 * Where an import statement's module lives, following the reference's rules (kcl-lib 0.13.2,
 * checked case by case in test/conformance/packages):
 *
 * - `import .a.b` / `import ..a`: relative to the importing file's directory; one dot is that
 *   directory, each further dot its parent; above the package root is an error.
 * - `import a.b`: inside a dependency package first that package's own root (`a/b`, or `b` when
 *   `a` is the package's name), then the main package's root, then the dependency named `a`.
 * - A module is a directory (its `.k` files, `_test.k` files excluded, in name order) or, when
 *   no such directory exists, the file `a/b.k`.
 *
 * Dependencies come from kcl.mod `[dependencies]`: `path = ...` relative to the package root; a
 * version/oci/git dependency where the reference's tooling keeps it on disk — vendored in
 * `<root>/vendor/<name>_<version>`, or downloaded in `<package home>/<name>_<version>` (the
 * reference's `$KCL_PKG_PATH`, by default `~/.kcl/kpm`). The caller may map names to roots
 * directly (`externalPackages`, as `kcl run -E name=path`); that wins over kcl.mod.
 */
import { diagnostic, type Diagnostic } from '../diagnostics.js';
import type * as ast from '../ast.js';
import { span } from '../span.js';
import { dependencyDirName, parseKclMod, type KclMod } from './kcl-mod.js';
import { dirname, joinPath, relativePath, type PackageLoader } from './loader.js';

export const KCL_SUFFIX = '.k';
export const TEST_SUFFIX = '_test.k';
export const KCL_MOD = 'kcl.mod';

/** A package: a root directory, its name (for pkgpaths and self-imports) and its manifest. */
export interface PackageInfo {
  readonly root: string;
  /** `__main__` for the main package; the dependency name otherwise. */
  readonly name: string;
  readonly isMain: boolean;
  readonly mod?: KclMod;
}

/** Where a module's files are. `key` identifies it within a compile (its directory or file). */
export interface ModuleLocation {
  readonly key: string;
  readonly pkgpath: string;
  readonly pkg: PackageInfo;
  readonly files: readonly string[];
  /** The directory relative imports of its files start from. */
  readonly dir: string;
}

export type Located = ModuleLocation | Diagnostic;

/** The `.k` files a directory contributes to its module, in name order. */
export function moduleFiles(loader: PackageLoader, dir: string): string[] | undefined {
  const entries = loader.readDir(dir);
  if (!entries) return undefined;
  return entries
    .filter((e) => !e.isDirectory && e.name.endsWith(KCL_SUFFIX) && !e.name.endsWith(TEST_SUFFIX))
    .map((e) => e.name)
    .sort()
    .map((name) => joinPath(dir, name));
}

/** kcl.mod of a package root, if it has one; a broken kcl.mod is a diagnostic. */
export function readKclMod(loader: PackageLoader, root: string): KclMod | Diagnostic[] | undefined {
  const path = joinPath(root, KCL_MOD);
  const text = loader.readFile(path);
  if (text === undefined) return undefined;
  const parsed = parseKclMod(text, path);
  return parsed.ok ? parsed.mod : parsed.diagnostics;
}

export interface DependencyOptions {
  readonly externalPackages?: Readonly<Record<string, string>>;
  readonly packageHome?: string;
}

/** The root of each dependency a package's kcl.mod names, or why it is not available. */
export function dependencyRoots(
  loader: PackageLoader,
  pkg: PackageInfo,
  options: DependencyOptions,
  /** The main package's root: `kcl mod vendor` puts transitive dependencies in its vendor/ too. */
  mainRoot: string = pkg.root,
): Map<string, string | string[]> {
  const roots = new Map<string, string | string[]>();
  for (const [name, root] of Object.entries(options.externalPackages ?? {})) roots.set(name, root);
  for (const dep of pkg.mod?.dependencies.values() ?? []) {
    if (roots.has(dep.name)) continue;
    if (dep.path !== undefined) {
      roots.set(dep.name, joinPath(pkg.root, dep.path));
      continue;
    }
    const dirName = dependencyDirName(dep);
    const candidates = [...new Set([joinPath(mainRoot, 'vendor', dirName), joinPath(pkg.root, 'vendor', dirName)])];
    if (options.packageHome) candidates.push(joinPath(options.packageHome, dirName));
    const found = candidates.find((c) => loader.readDir(c) !== undefined);
    roots.set(dep.name, found ?? candidates);
  }
  return roots;
}

function pkgpathOf(pkg: PackageInfo, dirOrFile: string): string {
  const rel = relativePath(pkg.root, dirOrFile.endsWith(KCL_SUFFIX) ? dirOrFile.slice(0, -KCL_SUFFIX.length) : dirOrFile);
  const dotted = rel === '.' ? '' : rel.split('/').join('.');
  if (pkg.isMain) return dotted === '' ? '__main__' : dotted;
  return dotted === '' ? pkg.name : `${pkg.name}.${dotted}`;
}

/** The module at `base/segments...` (a directory, else a `.k` file), or undefined. */
function moduleAt(loader: PackageLoader, pkg: PackageInfo, base: string, segments: readonly string[]): ModuleLocation | undefined {
  const target = joinPath(base, ...segments);
  const files = moduleFiles(loader, target);
  if (files) return { key: target, pkgpath: pkgpathOf(pkg, target), pkg, files, dir: target };
  const file = `${target}${KCL_SUFFIX}`;
  if (segments.length > 0 && loader.readFile(file) !== undefined) {
    return { key: file, pkgpath: pkgpathOf(pkg, file), pkg, files: [file], dir: dirname(file) };
  }
  return undefined;
}

export interface LocateContext {
  readonly loader: PackageLoader;
  readonly main: PackageInfo;
  /** The main package's dependencies: name -> root, or the places it was looked for. */
  readonly deps: ReadonlyMap<string, string | string[]>;
  /** A dependency package's own kcl.mod dependencies (transitive dependencies). */
  readonly depsOf: (pkg: PackageInfo) => ReadonlyMap<string, string | string[]>;
  /** The package of a dependency root (its kcl.mod is read once). */
  readonly packageAt: (name: string, root: string) => PackageInfo;
}

/** Resolves one import statement made by a file of `from` (located in directory `fromDir`). */
export function locateImport(ctx: LocateContext, stmt: ast.ImportStmt, from: PackageInfo, fromDir: string): Located {
  const dots = /^\.*/.exec(stmt.path)![0].length;
  const segments = stmt.path.slice(dots).split('.').filter(Boolean);
  const notFound = (why: string): Diagnostic => diagnostic('E2F04', `pkgpath ${stmt.path} not found in the program: ${why}`, stmt.span);
  if (dots > 0) {
    let base = fromDir;
    for (let i = 1; i < dots; i++) {
      if (relativePath(from.root, base) === '.') return notFound(`'${stmt.path}' goes above the package root`);
      base = dirname(base);
    }
    return moduleAt(ctx.loader, from, base, segments) ?? notFound(`no module at ${joinPath(base, ...segments)}`);
  }
  const first = segments[0]!;
  if (!from.isMain) {
    const own = moduleAt(ctx.loader, from, from.root, segments) ?? (first === from.name ? moduleAt(ctx.loader, from, from.root, segments.slice(1)) : undefined);
    if (own) return own;
  }
  const inMain = moduleAt(ctx.loader, ctx.main, ctx.main.root, segments);
  if (inMain) return inMain;
  // The main package's dependencies win (the reference's tooling resolves one version of each
  // for the whole program); a dependency's own kcl.mod supplies what only it needs.
  let dep = ctx.deps.get(first);
  if ((dep === undefined || Array.isArray(dep)) && !from.isMain) dep = ctx.depsOf(from).get(first) ?? dep;
  if (dep === undefined) return notFound(`no module ${segments.join('/')} in the package and no dependency named '${first}'`);
  if (Array.isArray(dep)) return notFound(`dependency '${first}' is not available (looked in ${dep.join(', ')})`);
  const pkg = ctx.packageAt(first, dep);
  return moduleAt(ctx.loader, pkg, dep, segments.slice(1)) ?? notFound(`no module ${segments.slice(1).join('/') || '(root)'} in dependency '${first}' at ${dep}`);
}

export function kclModDiagnostic(path: string, message: string): Diagnostic {
  return diagnostic('E2F05', message, span(path, 1, 1));
}
