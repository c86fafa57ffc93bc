/**
 * Runs one conformance case through kclguard's public KCL API, exactly as a caller would:
 * compile once, run with the case's options, render the exports as `kcl run` YAML. The only
 * module here that touches the interpreter, so the corpus and comparison code stay independent
 * of it.
 */
import { compile, renderRunOutput, toKcl, type Diagnostic, type Value } from '../../src/kcl/index.js';
import type { ActualError, ActualOutcome } from './compare.js';
import type { ConformanceCase } from './corpus.js';

/** The file name the goldens use: the regen script rewrites the reference's paths to it. */
const CASE_FILENAME = 'main.k';

function toActualError(d: Diagnostic): ActualError {
  return d.span ? { code: d.code, line: d.span.line, col: d.span.col } : { code: d.code };
}

export function runCase(c: ConformanceCase): ActualOutcome {
  const compiled = compile(c.source, CASE_FILENAME);
  if (!compiled.ok) {
    const first = compiled.diagnostics[0];
    if (!first) throw new Error(`${c.id}: compile failed without a diagnostic`);
    return { kind: 'error', error: toActualError(first) };
  }
  const options: Record<string, Value> = {};
  for (const [name, json] of Object.entries(c.options)) options[name] = toKcl(json);
  const result = compiled.program.run({ options });
  if (!result.ok) return { kind: 'error', error: toActualError(result.diagnostic), printed: result.printed };
  const yaml = renderRunOutput(result, {
    sortKeys: c.settings.sort_keys === true,
    showHidden: c.settings.show_hidden === true,
    disableNone: c.settings.disable_none === true,
  });
  return { kind: 'stdout', printed: result.printed, yaml };
}
