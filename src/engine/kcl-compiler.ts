/**
 * The PolicyCompiler backed by kclguard's own KCL interpreter (src/kcl): options cross into KCL
 * with toKcl, exports come back with toPlain.
 *
 * Exports are converted with hidden (`_`-prefixed) keys kept: Kubernetes data may legitimately
 * hold such keys (a ConfigMap's `_config`), and dropping them would be an unintended mutation.
 * Top-level `_` variables are still not exported (the interpreter leaves them out).
 */
import { toKcl, toPlain } from '../kcl/convert.js';
import { compile } from '../kcl/index.js';
import type { Value } from '../kcl/value.js';
import type { PolicyCompiler, PolicyRunResult } from './policy-compiler.js';

export const kclCompiler: PolicyCompiler = {
  compile(source, filename) {
    const compiled = compile(source, filename);
    if (!compiled.ok) return { ok: false, diagnostics: compiled.diagnostics };
    const { program } = compiled;
    return {
      ok: true,
      program: {
        run(options, limits): PolicyRunResult {
          const kclOptions: Record<string, Value> = {};
          for (const [name, value] of Object.entries(options)) kclOptions[name] = toKcl(value);
          const result = program.run({
            options: kclOptions,
            limits: { timeoutMs: limits.timeoutMs, maxSteps: limits.maxSteps, maxDepth: limits.maxDepth },
          });
          if (!result.ok) return { ok: false, diagnostic: result.diagnostic, printed: result.printed };
          const exports = new Map<string, unknown>();
          for (const [name, value] of result.exports) exports.set(name, toPlain(value, { showHidden: true }));
          return { ok: true, exports, printed: result.printed };
        },
      },
    };
  },
};
