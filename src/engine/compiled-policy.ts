/**
 * A policy as loaded: its definition (when the manifest validated), its compiled program (when
 * the source compiled) and, when either step failed, why. Invalid policies are kept so their
 * errors are visible (status, logs, metrics) and so they fail only their own requests.
 */
import { diagnostic, formatDiagnosticShort, type Diagnostic } from '../kcl/index.js';
import type { CompileOutcome } from './executor.js';
import { needsResolution, type PolicyDefinition, type PolicyIdentity } from './model.js';
import type { PolicyCompileResult, PolicyCompiler, PolicyProgram } from './policy-compiler.js';

export type PolicyState = 'ready' | 'invalid';
export const POLICY_STATES: readonly PolicyState[] = ['ready', 'invalid'];

export interface CompiledPolicy {
  readonly identity: PolicyIdentity;
  readonly state: PolicyState;
  /**
   * Absent when the manifest failed validation: without a valid selector and failureAction
   * the policy cannot decide what it applies to, so it never acts.
   */
  readonly definition?: PolicyDefinition;
  /**
   * Where the program runs in-process: absent when the source did not compile (such a policy
   * fails every request it selects). Always absent on the main thread of a worker-pool server,
   * whose programs live in the workers.
   */
  readonly program?: PolicyProgram;
  /** The recovery program (spec.recovery.source), where `program` is. */
  readonly recovery?: PolicyProgram;
  /** Human-readable problems: schema errors, or diagnostics as `file:line:col: CODE Name: msg`. */
  readonly errors: readonly string[];
  readonly diagnostics: readonly Diagnostic[];
  readonly origin?: string;
  /** For an oci:// source (or one with dependencies): the digest acting, and why it is stale if so. */
  readonly source?: { readonly digest: string; readonly stale?: string };
  /** Why an oci:// source (or spec.dependencies) could not be resolved: the policy acts nowhere. */
  readonly sourceError?: string;
  /**
   * Set when a newer revision of this policy was rejected (it failed the schema, or its file could
   * not be used) and this, the last valid revision, still acts in its place until a valid revision
   * or a deletion arrives.
   */
  readonly stale?: StaleRevision;
}

/** The rejected revision a stale policy stands in for. */
export interface StaleRevision {
  /** Why the newer revision was rejected (schema errors, each naming its field; or the file's problem). */
  readonly errors: readonly string[];
  /** Where the rejected revision came from (a file, an object). */
  readonly origin?: string;
  /** metadata.generation of the rejected revision, when it has one (cluster mode). */
  readonly generation?: number;
}

/** The name diagnostics carry, so `team-a/add-labels.k:3:5` says which policy and where. */
export function programFilename(identity: PolicyIdentity): string {
  return `${identity.key}.k`;
}

/** The recovery program's diagnostics name `team-a/add-labels.recovery.k:L:C`. */
export function recoveryFilename(identity: PolicyIdentity): string {
  return `${identity.key}.recovery.k`;
}

/** A policy's programs: the policy itself and, when it has one, its recovery program. */
export type PolicyPrograms =
  | { readonly ok: true; readonly program: PolicyProgram; readonly recovery?: PolicyProgram }
  | { readonly ok: false; readonly diagnostics: readonly Diagnostic[] };

/** Compiled programs by filename + sources: a reload recompiles only what changed. */
export type ProgramCache = Map<string, PolicyPrograms>;

/**
 * What a policy's compiled programs depend on: its filename, its program (the source, or the
 * resolved package's digest) and its recovery source. Two definitions with the same key compile
 * alike; anything that keys compile results (this cache, the pool's probe compiles) uses it.
 */
export function programKey(definition: PolicyDefinition): string {
  const program = definition.resolved ? `${definition.resolved.root}\u0000${definition.resolved.digest}` : definition.spec.source;
  return `${programFilename(definition.identity)}\u0000${program}\u0000${definition.spec.recoverySource ?? ''}`;
}

/** Compiles a definition's source (and recovery source), through the cache when one is given. */
export function compileDefinition(definition: PolicyDefinition, compiler: PolicyCompiler, cache?: ProgramCache): PolicyPrograms {
  const key = programKey(definition);
  let result = cache?.get(key);
  if (!result) {
    result = compilePrograms(definition, compiler);
    cache?.set(key, result);
  }
  return result;
}

function compileMain(definition: PolicyDefinition, compiler: PolicyCompiler): PolicyCompileResult {
  const { resolved } = definition;
  if (resolved) {
    if (compiler.compilePackage) return compiler.compilePackage(resolved);
    return { ok: false, diagnostics: [diagnostic('E2L23', 'this compiler cannot compile KCL packages', { file: resolved.root, line: 1, col: 1, endLine: 1, endCol: 1 })] };
  }
  if (needsResolution(definition.spec)) {
    // Without a resolved package the source is an oci:// reference, not KCL: never compile it as such.
    return { ok: false, diagnostics: [diagnostic('E2F04', `the source ${definition.spec.source.slice(0, 200)} has not been resolved`, { file: programFilename(definition.identity), line: 1, col: 1, endLine: 1, endCol: 1 })] };
  }
  return compiler.compile(definition.spec.source, programFilename(definition.identity));
}

function compilePrograms(definition: PolicyDefinition, compiler: PolicyCompiler): PolicyPrograms {
  const main = compileMain(definition, compiler);
  const recoverySource = definition.spec.recoverySource;
  const recovery = recoverySource === undefined ? undefined : compiler.compile(recoverySource, recoveryFilename(definition.identity));
  const diagnostics = [...(main.ok ? [] : main.diagnostics), ...(recovery && !recovery.ok ? recovery.diagnostics : [])];
  if (!main.ok || (recovery && !recovery.ok)) return { ok: false, diagnostics };
  return { ok: true, program: main.program, ...(recovery?.ok ? { recovery: recovery.program } : {}) };
}

/** Keeps only the cache entries these definitions use, so a long-running watch does not grow. */
export function retainPrograms(cache: ProgramCache, definitions: Iterable<PolicyDefinition>): void {
  const used = new Set<string>();
  for (const definition of definitions) used.add(programKey(definition));
  for (const key of cache.keys()) if (!used.has(key)) cache.delete(key);
}

export function compileOutcomeOf(result: PolicyPrograms): CompileOutcome {
  if (result.ok) return { ok: true };
  return { ok: false, diagnostics: result.diagnostics, errors: result.diagnostics.map((d) => formatDiagnosticShort(d)) };
}

/** The loaded policy for a definition and how its sources compiled (here or in an executor). */
export function loadedPolicy(definition: PolicyDefinition, outcome: CompileOutcome, programs?: PolicyPrograms): CompiledPolicy {
  const base = { identity: definition.identity, definition, origin: definition.origin };
  if (!outcome.ok) return { ...base, state: 'invalid', errors: outcome.errors, diagnostics: outcome.diagnostics };
  const runnable = programs?.ok ? { program: programs.program, ...(programs.recovery ? { recovery: programs.recovery } : {}) } : {};
  return { ...base, state: 'ready', ...runnable, errors: [], diagnostics: [] };
}

/** A document that named a policy but failed validation: it never acts, its errors are shown. */
export function invalidPolicy(identity: PolicyIdentity, errors: readonly string[], origin?: string): CompiledPolicy {
  return { identity, state: 'invalid', errors, diagnostics: [], origin };
}
