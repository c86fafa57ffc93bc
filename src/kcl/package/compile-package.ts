/**
 * compilePackage(root, loader, options): a KCL program that is a package — the `.k` files of a
 * directory as the main module, `kcl.mod` at the root, and every module they import (relative,
 * root-relative, and from kcl.mod dependencies). Like `compile`, it never throws: problems come
 * back as diagnostics naming the file:line:col they are in (inside an imported file too).
 *
 * Imported modules are shared: each is parsed and planned once per process and reused by every
 * program importing the same content (module-cache.ts), so a large dependency such as the
 * Kubernetes schema package costs its compile time once, not once per policy.
 */
import type * as ast from '../ast.js';
import type { CompileResult, HostModuleSpec } from '../api-types.js';
import { capDiagnostics, diagnostic, type Diagnostic } from '../diagnostics.js';
import { ModuleOwner } from '../eval/module-scope.js';
import { planUnit, programOf, type ModuleUnit } from '../program.js';
import { hostFor } from '../eval/host.js';
import { hostModulesKey } from '../builtins/host-module.js';
import type { Host } from '../eval/planner.js';
import { dirname, joinPath, normalizePath, type PackageLoader } from './loader.js';
import {
  dependencyRoots,
  kclModDiagnostic,
  locateImport,
  moduleFiles,
  readKclMod,
  TEST_SUFFIX,
  type LocateContext,
  type ModuleLocation,
  type PackageInfo,
} from './locate.js';
import { moduleCache, parseCached, unitKey } from './module-cache.js';

export interface PackageOptions {
  /**
   * The main module's files (relative to `root`, or absolute), as `kcl run a.k b.k` names them.
   * Default: kcl.mod's `[profile] entries`, else every `.k` file of `root` except `*_test.k`.
   */
  readonly files?: readonly string[];
  /** Dependency name -> package root; wins over kcl.mod (`kcl run -E name=path`). */
  readonly externalPackages?: Readonly<Record<string, string>>;
  /** Where downloaded dependencies live (`<home>/<name>_<version>`), as `$KCL_PKG_PATH`. */
  readonly packageHome?: string;
  /** Modules the host provides (CompileOptions.hostModules), importable from every module. */
  readonly hostModules?: readonly HostModuleSpec[];
}

/**
 * Import chains deeper than this are refused (K9002): each level is a nested plan, and a hostile
 * package of thousands of chained modules must end in a diagnostic, not a stack overflow.
 */
export const MAX_IMPORT_DEPTH = 100;

/** What one compile has resolved so far: shared modules, the modules being planned (cycles). */
class PackageCompile {
  private readonly done = new Map<string, ModuleUnit | Diagnostic[]>();
  private readonly planning: ModuleLocation[] = [];
  private readonly packages = new Map<string, PackageInfo>();
  private readonly packageDeps = new Map<PackageInfo, ReadonlyMap<string, string | string[]>>();
  readonly ctx: LocateContext;
  private readonly host: Host;
  /** Distinguishes plans made with different host modules in the shared cache. */
  private readonly hostKey: string;

  constructor(
    readonly loader: PackageLoader,
    readonly main: PackageInfo,
    private readonly options: PackageOptions,
  ) {
    this.host = hostFor(options.hostModules);
    this.hostKey = options.hostModules?.length ? hostModulesKey(options.hostModules) : '';
    this.ctx = {
      loader,
      main,
      deps: dependencyRoots(loader, main, options),
      depsOf: (pkg) => this.depsOf(pkg),
      packageAt: (name, root) => this.packageAt(name, root),
    };
  }

  private depsOf(pkg: PackageInfo): ReadonlyMap<string, string | string[]> {
    let deps = this.packageDeps.get(pkg);
    if (!deps) {
      deps = dependencyRoots(this.loader, pkg, { ...(this.options.packageHome ? { packageHome: this.options.packageHome } : {}) }, this.main.root);
      this.packageDeps.set(pkg, deps);
    }
    return deps;
  }

  private packageAt(name: string, root: string): PackageInfo {
    let pkg = this.packages.get(root);
    if (!pkg) {
      const mod = readKclMod(this.loader, root);
      pkg = { root, name, isMain: false, ...(mod && !Array.isArray(mod) ? { mod } : {}) };
      this.packages.set(root, pkg);
    }
    return pkg;
  }

  /** Parses files; their parse errors, or the ASTs. */
  parseFiles(files: readonly string[]): ast.Module[] | Diagnostic[] {
    const modules: ast.Module[] = [];
    const errors: Diagnostic[] = [];
    for (const file of files) {
      const text = this.loader.readFile(file);
      if (text === undefined) {
        errors.push(diagnostic('E2F05', `cannot read ${file}`));
        continue;
      }
      const parsed = parseCached(file, text);
      if (parsed.diagnostics.length > 0) errors.push(...parsed.diagnostics);
      else modules.push(parsed.module);
    }
    return errors.length > 0 ? errors : modules;
  }

  /** The imports of a module, resolved (and compiled) before it is planned. */
  private resolveImports(modules: readonly ast.Module[], loc: ModuleLocation): Map<ast.ImportStmt, ModuleUnit | Diagnostic[]> {
    const resolved = new Map<ast.ImportStmt, ModuleUnit | Diagnostic[]>();
    for (const module of modules) {
      for (const stmt of module.body) {
        if (stmt.kind !== 'ImportStmt' || (!stmt.path.startsWith('.') && this.host.systemModule(stmt.path))) continue;
        const target = locateImport(this.ctx, stmt, loc.pkg, loc.dir);
        if (!('key' in target)) resolved.set(stmt, [target]);
        else resolved.set(stmt, this.unitFor(target, stmt));
      }
    }
    return resolved;
  }

  /** The planned module at a location, from this compile, the shared cache, or planned now. */
  unitFor(loc: ModuleLocation, via?: ast.ImportStmt): ModuleUnit | Diagnostic[] {
    const known = this.done.get(loc.key);
    if (known) return known;
    const cycleAt = this.planning.findIndex((m) => m.key === loc.key);
    if (cycleAt >= 0) {
      const names = [...this.planning.slice(cycleAt).map((m) => m.pkgpath)].sort().join(', ');
      return [{ ...diagnostic('E1001', `There is a circular reference between modules ${names}`, via?.span), title: 'RecursiveLoad' }];
    }
    if (this.planning.length >= MAX_IMPORT_DEPTH) {
      return [diagnostic('K9002', `imports nest deeper than ${MAX_IMPORT_DEPTH} modules (at ${loc.pkgpath})`, via?.span)];
    }
    this.planning.push(loc);
    try {
      const result = this.plan(loc);
      this.done.set(loc.key, result);
      return result;
    } finally {
      this.planning.pop();
    }
  }

  private plan(loc: ModuleLocation): ModuleUnit | Diagnostic[] {
    const modules = this.parseFiles(loc.files);
    if (isDiagnostics(modules)) return modules;
    const imports = this.resolveImports(modules, loc);
    // The main module is the program's own: only imported modules are shared.
    const shared = loc.pkgpath !== '__main__';
    const key = shared ? unitKey(loc.pkgpath, loc.files, modules, imports) + this.hostKey : '';
    const cached = shared ? moduleCache.get(key) : undefined;
    if (cached) return cached;
    const result = planUnit(modules, loc.key, new ModuleOwner(loc.pkgpath), (stmt) => imports.get(stmt), this.host);
    if (!result.ok) return result.diagnostics;
    if (shared) moduleCache.set(key, result.unit);
    return result.unit;
  }
}

function isDiagnostics(v: ast.Module[] | Diagnostic[]): v is Diagnostic[] {
  return v.length > 0 && !('kind' in v[0]!);
}

function mainFiles(loader: PackageLoader, root: string, pkg: PackageInfo, options: PackageOptions): string[] | Diagnostic {
  const named = options.files ?? (pkg.mod?.entries.length ? pkg.mod.entries : undefined);
  if (named) return named.map((f) => (f.startsWith('/') ? normalizePath(f) : joinPath(root, f)));
  const files = moduleFiles(loader, root);
  if (files === undefined) return diagnostic('E2F05', `cannot read the package directory ${root}`);
  const runnable = files.filter((f) => !f.endsWith(TEST_SUFFIX));
  if (runnable.length === 0) return diagnostic('E2F05', `no KCL files (*.k) in ${root}`);
  return runnable;
}

/** Compiles the package at `root` (see PackageOptions for which files are the main module). */
export function compilePackage(root: string, loader: PackageLoader, options: PackageOptions = {}): CompileResult {
  try {
    const result = compileUnguarded(normalizePath(root), loader, options);
    return result.ok ? result : { ok: false, diagnostics: capDiagnostics(result.diagnostics) };
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e);
    return { ok: false, diagnostics: [diagnostic('E3M38', `internal error in the KCL package loader: ${detail}`)] };
  }
}

function compileUnguarded(root: string, loader: PackageLoader, options: PackageOptions): CompileResult {
  const mod = readKclMod(loader, root);
  if (Array.isArray(mod)) return { ok: false, diagnostics: mod };
  const main: PackageInfo = { root, name: mod?.name ?? '__main__', isMain: true, ...(mod ? { mod } : {}) };
  const files = mainFiles(loader, root, main, options);
  if (!Array.isArray(files)) return { ok: false, diagnostics: [files] };
  const missing = files.filter((f) => loader.readFile(f) === undefined);
  if (missing.length > 0) return { ok: false, diagnostics: missing.map((f) => kclModDiagnostic(f, `cannot read ${f}`)) };
  const compile = new PackageCompile(loader, main, options);
  // Relative imports of the main module start from its files' directory (a package's subdirectory
  // when `kclguard check` compiles one).
  const loc: ModuleLocation = { key: root, pkgpath: '__main__', pkg: main, files, dir: dirname(files[0]!) };
  const unit = compile.unitFor(loc);
  if (Array.isArray(unit)) return { ok: false, diagnostics: unique(unit) };
  return { ok: true, program: programOf(root, unit) };
}

/** An error in a module two others import is reported once. */
function unique(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...new Set(diagnostics)];
}
