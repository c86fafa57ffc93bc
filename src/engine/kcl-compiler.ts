/**
 * The PolicyCompiler backed by kclguard's own KCL interpreter (src/kcl): options cross into KCL
 * with toKcl, exports come back with toPlain — through the request's ConversionMemo when the
 * engine passes a session, so the policies of one request share those conversions.
 *
 * Exports are converted with hidden (`_`-prefixed) keys kept: Kubernetes data may legitimately
 * hold such keys (a ConfigMap's `_config`), and dropping them would be an unintended mutation.
 * Top-level `_` variables are still not exported (the interpreter leaves them out).
 */
import { compile, compilePackage, diagnostic, isStackOverflow, memoryLoader, outputTooDeep, toKcl, toPlain, type CompileResult, type Program, type Value } from '../kcl/index.js';
import type { PolicyCompileResult, PolicyCompiler, PolicyProgram, PolicyRunResult, RunSession } from './policy-compiler.js';
import { checkOutput } from './output-check.js';
import { KUBE_MODULE } from './lookups/kube-module.js';
import { ConversionMemo } from './shared-conversion.js';

/** Every policy program may `import kube` (answered per run; see lookups/). */
const COMPILE_OPTIONS = { hostModules: [KUBE_MODULE] };

/** Without a session there is nothing to share: plain toKcl/toPlain, no pairing cost. */
const UNSHARED = {
  toValue: (json: unknown): Value => toKcl(json),
  toJson: (value: Value): unknown => toPlain(value, { showHiddenDictKeys: true }),
};

function memoFor(session: RunSession | undefined): Pick<ConversionMemo, 'toValue' | 'toJson'> {
  if (session === undefined) return UNSHARED;
  if (session.compilerState instanceof ConversionMemo) return session.compilerState;
  const memo = new ConversionMemo();
  session.compilerState = memo;
  return memo;
}

/**
 * The options as KCL values. Converted eagerly: converting on first read (an accessor per
 * option) measured slower than converting everything through the memo, where the object and
 * the request view are hits after the request's first policy.
 */
function toKclOptions(options: Readonly<Record<string, unknown>>, memo: Pick<ConversionMemo, 'toValue'>): Record<string, Value> {
  const kclOptions: Record<string, Value> = {};
  for (const name in options) if (Object.hasOwn(options, name)) kclOptions[name] = memo.toValue(options[name]);
  return kclOptions;
}

/** A compiled KCL program as the engine runs it: options in through the memo, exports out. */
function policyProgram(program: Program): PolicyProgram {
  return {
    run(options, limits, session, host): PolicyRunResult {
      const memo = memoFor(session);
      const kclOptions = toKclOptions(options, memo);
      const result = program.run({
        options: kclOptions,
        limits: { timeoutMs: limits.timeoutMs, maxSteps: limits.maxSteps, maxDepth: limits.maxDepth, clock: limits.clock },
        ...(host ? { host } : {}),
      });
      if (!result.ok) return { ok: false, diagnostic: result.diagnostic, printed: result.printed, logs: result.logs };
      const exports = new Map<string, unknown>();
      for (const [name, value] of result.exports) {
        try {
          exports.set(name, memo.toJson(value));
        } catch (error) {
          // A value nested too deeply for the conversion's recursion: the policy's error, at
          // the statement assigning it.
          if (!isStackOverflow(error)) throw error;
          return { ok: false, diagnostic: outputTooDeep(program, result.exports, name), printed: result.printed, logs: result.logs };
        }
      }
      // What the policy left of the admitted object comes back by identity (the memo), not counted again.
      const problem = checkOutput(exports, { items: options.items });
      if (problem) return { ok: false, printed: result.printed, logs: result.logs, diagnostic: diagnostic(problem.code, problem.message) };
      return { ok: true, exports, printed: result.printed, logs: result.logs };
    },
  };
}

function fromCompileResult(compiled: CompileResult): PolicyCompileResult {
  return compiled.ok ? { ok: true, program: policyProgram(compiled.program) } : { ok: false, diagnostics: compiled.diagnostics };
}

export const kclCompiler: PolicyCompiler = {
  compile(source, filename) {
    return fromCompileResult(compile(source, filename, COMPILE_OPTIONS));
  },
  compilePackage(resolved) {
    const externalPackages = resolved.externalPackages ? { externalPackages: resolved.externalPackages } : {};
    return fromCompileResult(compilePackage(resolved.root, memoryLoader(resolved.files), { ...externalPackages, ...COMPILE_OPTIONS }));
  },
};
