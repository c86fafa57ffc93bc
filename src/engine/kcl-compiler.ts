/**
 * The PolicyCompiler backed by kclguard's own KCL interpreter (src/kcl): options cross into KCL
 * with toKcl, exports come back with toPlain — through the request's ConversionMemo when the
 * engine passes a session, so the policies of one request share those conversions.
 *
 * Exports are converted with hidden (`_`-prefixed) keys kept: Kubernetes data may legitimately
 * hold such keys (a ConfigMap's `_config`), and dropping them would be an unintended mutation.
 * Top-level `_` variables are still not exported (the interpreter leaves them out).
 */
import { compile } from '../kcl/index.js';
import type { Value } from '../kcl/value.js';
import type { PolicyCompiler, PolicyRunResult, RunSession } from './policy-compiler.js';
import { ConversionMemo } from './shared-conversion.js';

const memos = new WeakMap<RunSession, ConversionMemo>();

function memoFor(session: RunSession | undefined): ConversionMemo {
  if (session === undefined) return new ConversionMemo();
  let memo = memos.get(session);
  if (!memo) memos.set(session, (memo = new ConversionMemo()));
  return memo;
}

/**
 * The options as KCL values, each converted the first time the program reads it: a policy that
 * never calls option("resource_list") does not pay for converting its own manifest.
 */
function lazyOptions(options: Readonly<Record<string, unknown>>, memo: ConversionMemo): Record<string, Value> {
  const kclOptions: Record<string, Value> = {};
  for (const [name, plain] of Object.entries(options)) {
    Object.defineProperty(kclOptions, name, {
      enumerable: true,
      configurable: true,
      get() {
        const value = memo.toValue(plain);
        Object.defineProperty(kclOptions, name, { value, enumerable: true, configurable: true });
        return value;
      },
    });
  }
  return kclOptions;
}

export const kclCompiler: PolicyCompiler = {
  compile(source, filename) {
    const compiled = compile(source, filename);
    if (!compiled.ok) return { ok: false, diagnostics: compiled.diagnostics };
    const { program } = compiled;
    return {
      ok: true,
      program: {
        run(options, limits, session): PolicyRunResult {
          const memo = memoFor(session);
          const kclOptions = lazyOptions(options, memo);
          const result = program.run({
            options: kclOptions,
            limits: { timeoutMs: limits.timeoutMs, maxSteps: limits.maxSteps, maxDepth: limits.maxDepth },
          });
          if (!result.ok) return { ok: false, diagnostic: result.diagnostic, printed: result.printed };
          const exports = new Map<string, unknown>();
          for (const [name, value] of result.exports) exports.set(name, memo.toJson(value));
          return { ok: true, exports, printed: result.printed };
        },
      },
    };
  },
};
