/**
 * The process-wide caches that let every program share one planned copy of a module: parsed
 * files keyed by path and content digest, and planned modules keyed by their own files' digests
 * plus the keys of the modules they import (a module's plan embeds its imports' schema types,
 * so the same text importing a different dependency is a different plan). Both are bounded.
 *
 * The path is part of every key because diagnostics and spans name it: the same text at two
 * paths is planned twice, which is right (an OCI source cached by digest has one path).
 */
import { createHash } from 'node:crypto';
import type * as ast from '../ast.js';
import type { Diagnostic } from '../diagnostics.js';
import { parse } from '../parse.js';
import type { ModuleUnit } from '../program.js';
import { Lru } from './lru.js';

/** Enough for the Kubernetes package several times over (it has ~600 files). */
const PARSED_FILES = 20_000;
const PLANNED_MODULES = 5_000;

interface Parsed {
  readonly module: ast.Module;
  readonly diagnostics: Diagnostic[];
  readonly digest: string;
}

const parsedFiles = new Lru<string, Parsed>(PARSED_FILES);
const digests = new WeakMap<ast.Module, string>();
const unitKeys = new WeakMap<ModuleUnit, string>();

function digestOf(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Parses a file once per process for a given content (the AST is never mutated). */
export function parseCached(file: string, text: string): Parsed {
  const digest = digestOf(text);
  const key = `${file}\u0000${digest}`;
  let parsed = parsedFiles.get(key);
  if (!parsed) {
    const result = parse(text, file);
    parsed = { ...result, digest };
    if (result.diagnostics.length === 0) parsedFiles.set(key, parsed);
    digests.set(result.module, digest);
  }
  return parsed;
}

/** The cache key of a module: pkgpath, files and contents, and what its imports resolved to. */
export function unitKey(
  pkgpath: string,
  files: readonly string[],
  modules: readonly ast.Module[],
  imports: ReadonlyMap<ast.ImportStmt, ModuleUnit | Diagnostic[]>,
): string {
  const h = createHash('sha256').update(pkgpath);
  modules.forEach((m, i) => h.update(`\u0000${files[i]}\u0000${digests.get(m) ?? ''}`));
  for (const [stmt, target] of imports) {
    h.update(`\u0001${stmt.path}\u0000${Array.isArray(target) ? 'error' : (unitKeys.get(target) ?? '')}`);
  }
  return h.digest('hex');
}

class ModuleCache {
  private readonly units = new Lru<string, ModuleUnit>(PLANNED_MODULES);
  hits = 0;
  misses = 0;

  get(key: string): ModuleUnit | undefined {
    const unit = this.units.get(key);
    if (unit) this.hits++;
    else this.misses++;
    return unit;
  }

  set(key: string, unit: ModuleUnit): void {
    unitKeys.set(unit, key);
    this.units.set(key, unit);
  }

  get size(): number {
    return this.units.size;
  }

  clear(): void {
    this.units.clear();
    parsedFiles.clear();
    this.hits = 0;
    this.misses = 0;
  }
}

export const moduleCache = new ModuleCache();

/** Counters of the shared module cache, for benchmarks and tests. */
export function moduleCacheStats(): { modules: number; parsedFiles: number; hits: number; misses: number } {
  return { modules: moduleCache.size, parsedFiles: parsedFiles.size, hits: moduleCache.hits, misses: moduleCache.misses };
}

/** Forgets every shared module (tests; a long-lived process never needs it). */
export function clearModuleCache(): void {
  moduleCache.clear();
}
