/**
 * A policy as loaded: its definition (when the manifest validated), its compiled program (when
 * the source compiled) and, when either step failed, why. Invalid policies are kept so their
 * errors are visible (status, logs, metrics) and so they fail only their own requests.
 */
import { formatDiagnosticShort, type Diagnostic } from '../kcl/index.js';
import type { CompileOutcome } from './executor.js';
import type { PolicyDefinition, PolicyIdentity } from './model.js';
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
  /** Human-readable problems: schema errors, or diagnostics as `file:line:col: CODE Name: msg`. */
  readonly errors: readonly string[];
  readonly diagnostics: readonly Diagnostic[];
  readonly origin?: string;
}

/** The name diagnostics carry, so `team-a/add-labels.k:3:5` says which policy and where. */
export function programFilename(identity: PolicyIdentity): string {
  return `${identity.key}.k`;
}

/** Compiled programs by filename + source: a reload recompiles only what changed. */
export type ProgramCache = Map<string, PolicyCompileResult>;

function cacheKey(definition: PolicyDefinition): string {
  return `${programFilename(definition.identity)}\u0000${definition.spec.source}`;
}

/** Compiles a definition's source, through the cache when one is given. */
export function compileDefinition(definition: PolicyDefinition, compiler: PolicyCompiler, cache?: ProgramCache): PolicyCompileResult {
  const key = cacheKey(definition);
  let result = cache?.get(key);
  if (!result) {
    result = compiler.compile(definition.spec.source, programFilename(definition.identity));
    cache?.set(key, result);
  }
  return result;
}

/** Keeps only the cache entries these definitions use, so a long-running watch does not grow. */
export function retainPrograms(cache: ProgramCache, definitions: Iterable<PolicyDefinition>): void {
  const used = new Set<string>();
  for (const definition of definitions) used.add(cacheKey(definition));
  for (const key of cache.keys()) if (!used.has(key)) cache.delete(key);
}

export function compileOutcomeOf(result: PolicyCompileResult): CompileOutcome {
  if (result.ok) return { ok: true };
  return { ok: false, diagnostics: result.diagnostics, errors: result.diagnostics.map((d) => formatDiagnosticShort(d)) };
}

/** The loaded policy for a definition and how its source compiled (here or in an executor). */
export function loadedPolicy(definition: PolicyDefinition, outcome: CompileOutcome, program?: PolicyProgram): CompiledPolicy {
  const base = { identity: definition.identity, definition, origin: definition.origin };
  if (!outcome.ok) return { ...base, state: 'invalid', errors: outcome.errors, diagnostics: outcome.diagnostics };
  return { ...base, state: 'ready', ...(program ? { program } : {}), errors: [], diagnostics: [] };
}

/** A document that named a policy but failed validation: it never acts, its errors are shown. */
export function invalidPolicy(identity: PolicyIdentity, errors: readonly string[], origin?: string): CompiledPolicy {
  return { identity, state: 'invalid', errors, diagnostics: [], origin };
}
