/**
 * Runs one conformance case through kclguard's public KCL API, exactly as a caller would:
 * compile once (`compile` for a single main.k, `compilePackage` over the case directory for a
 * package case), run with the case's options, render the exports as `kcl run` YAML. The only
 * module here that touches the interpreter, so the corpus and comparison code stay independent
 * of it.
 */
import { relative, sep } from 'node:path';
import { compile, compilePackage, renderRunOutput, toKcl, type CompileResult, type Diagnostic, type Value } from '../../src/kcl/index.js';
import { fsLoader } from '../../src/cli/author/fs-loader.js';
import type { ActualError, ActualOutcome } from './compare.js';
import type { ConformanceCase } from './corpus.js';

/** The file name the goldens use: the regen script rewrites the reference's paths to it. */
const CASE_FILENAME = 'main.k';

function toActualError(d: Diagnostic, c: ConformanceCase): ActualError {
  if (!d.span) return { code: d.code };
  // Package cases name files by their path; goldens by the path relative to the case.
  const file = c.isPackage ? relative(c.dir, d.span.file).split(sep).join('/') : d.span.file;
  return { code: d.code, file, line: d.span.line, col: d.span.col };
}

function compileCase(c: ConformanceCase): CompileResult {
  return c.isPackage ? compilePackage(c.dir, fsLoader) : compile(c.source, CASE_FILENAME);
}

export function runCase(c: ConformanceCase): ActualOutcome {
  const compiled = compileCase(c);
  if (!compiled.ok) {
    const first = compiled.diagnostics[0];
    if (!first) throw new Error(`${c.id}: compile failed without a diagnostic`);
    return { kind: 'error', error: toActualError(first, c) };
  }
  const options: Record<string, Value> = {};
  for (const [name, json] of Object.entries(c.options)) options[name] = toKcl(json);
  const result = compiled.program.run({ options });
  if (!result.ok) return { kind: 'error', error: toActualError(result.diagnostic, c), printed: result.printed };
  const yaml = renderRunOutput(result, {
    sortKeys: c.settings.sort_keys === true,
    showHidden: c.settings.show_hidden === true,
    disableNone: c.settings.disable_none === true,
  });
  return { kind: 'stdout', printed: result.printed, yaml };
}
