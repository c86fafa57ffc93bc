/**
 * A test double for PolicyCompiler, used only by engine tests that exercise engine logic
 * (selection, consent, failureAction...) independently of KCL. The "source" is a JSON script:
 *
 *   {"annotate": {"k": "v"}}   add annotations to items[0]         -> mutation
 *   {"assert": "message"}      fail like a KCL assert (E3M41)       -> violation
 *   {"error": "E3M38"}         fail with that diagnostic code       -> failure
 *   {"exports": {...}}         export exactly these variables
 *   {"set": {"a.b": value}}    set dotted paths on items[0]
 *   {}                         return items unchanged
 *
 * Anything that is not JSON fails to compile with E1001. Runs are recorded in `runs`.
 */
import { diagnostic, type ErrorCode } from '../../kcl/diagnostics.js';
import type { PolicyCompileResult, PolicyCompiler, PolicyRunLimits, PolicyRunResult } from '../policy-compiler.js';

interface Script {
  annotate?: Record<string, string>;
  assert?: string;
  error?: ErrorCode;
  exports?: Record<string, unknown>;
  set?: Record<string, unknown>;
}

export interface FakeRun {
  readonly filename: string;
  readonly options: Readonly<Record<string, unknown>>;
  readonly limits: PolicyRunLimits;
}

export class FakeCompiler implements PolicyCompiler {
  readonly runs: FakeRun[] = [];
  compiles = 0;

  compile(source: string, filename: string): PolicyCompileResult {
    this.compiles += 1;
    let script: Script;
    try {
      script = JSON.parse(source) as Script;
    } catch {
      return { ok: false, diagnostics: [diagnostic('E1001', 'not a fake script', { file: filename, line: 1, col: 1, endLine: 1, endCol: 2 })] };
    }
    const runs = this.runs;
    return {
      ok: true,
      program: {
        run(options, limits): PolicyRunResult {
          runs.push({ filename, options, limits });
          const span = { file: filename, line: 2, col: 3, endLine: 2, endCol: 4 };
          if (script.assert !== undefined) return { ok: false, diagnostic: diagnostic('E3M41', script.assert, span), printed: '' };
          if (script.error !== undefined) return { ok: false, diagnostic: diagnostic(script.error, 'fake failure', span), printed: '' };
          if (script.exports !== undefined) return { ok: true, exports: new Map(Object.entries(script.exports)), printed: '' };
          const item = structuredClone((options.items as Record<string, unknown>[])[0]!);
          if (script.annotate) {
            const metadata = (item.metadata ??= {}) as Record<string, unknown>;
            metadata.annotations = { ...((metadata.annotations as object) ?? {}), ...script.annotate };
          }
          for (const [path, value] of Object.entries(script.set ?? {})) {
            const parts = path.split('.');
            let target = item as Record<string, unknown>;
            for (const part of parts.slice(0, -1)) target = (target[part] ??= {}) as Record<string, unknown>;
            target[parts.at(-1)!] = value;
          }
          return { ok: true, exports: new Map([['items', [item]]]), printed: '' };
        },
      },
    };
  }
}
