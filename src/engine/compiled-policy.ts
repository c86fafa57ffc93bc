/**
 * A policy as loaded: its definition (when the manifest validated), its compiled program (when
 * the source compiled) and, when either step failed, why. Invalid policies are kept so their
 * errors are visible (status, logs, metrics) and so they fail only their own requests.
 */
import { formatDiagnosticShort, type Diagnostic } from '../kcl/diagnostics.js';
import type { PolicyDefinition, PolicyIdentity } from './model.js';
import type { PolicyCompiler, PolicyProgram } from './policy-compiler.js';
import type { ParsedPolicy } from './schema.js';

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
  /** Absent when the source did not compile; such a policy fails every request it selects. */
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

export type ProgramCache = Map<string, ReturnType<PolicyCompiler['compile']>>;

export function compilePolicy(
  parsed: ParsedPolicy,
  compiler: PolicyCompiler,
  cache?: ProgramCache,
  origin?: string,
): CompiledPolicy | undefined {
  if (!parsed.ok) {
    if (!parsed.identity) return undefined;
    return { identity: parsed.identity, state: 'invalid', errors: parsed.errors, diagnostics: [], origin };
  }
  const { policy } = parsed;
  const filename = programFilename(policy.identity);
  // Reloading a directory recompiles only what changed: the cache key is filename + source.
  const cacheKey = `${filename}\u0000${policy.spec.source}`;
  let result = cache?.get(cacheKey);
  if (!result) {
    result = compiler.compile(policy.spec.source, filename);
    cache?.set(cacheKey, result);
  }
  if (!result.ok) {
    return {
      identity: policy.identity,
      state: 'invalid',
      definition: policy,
      errors: result.diagnostics.map((d) => formatDiagnosticShort(d)),
      diagnostics: result.diagnostics,
      origin: policy.origin,
    };
  }
  return {
    identity: policy.identity,
    state: 'ready',
    definition: policy,
    program: result.program,
    errors: [],
    diagnostics: [],
    origin: policy.origin,
  };
}
