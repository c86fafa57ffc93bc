/**
 * The public surface of the KCL library: compile once, run many times; values, diagnostics
 * and output rendering. Nothing outside src/kcl imports anything else from this folder.
 */
import type { Diagnostic } from './diagnostics.js';
import { diagnostic, formatDiagnostic } from './diagnostics.js';
import type { Program, RunSuccess } from './api-types.js';
import { renderExports, renderYamlStream, type YamlOutputOptions } from './yaml-output.js';
import type { Value } from './value.js';
import { deepestOutput } from './convert.js';

export { compile } from './program.js';
export { compilePackage, type PackageOptions } from './package/compile-package.js';
export { memoryLoader, type DirEntry, type PackageLoader } from './package/loader.js';
export { parseKclMod, type Dependency, type KclMod } from './package/kcl-mod.js';
export { clearModuleCache, moduleCacheStats } from './package/module-cache.js';
export { optionValue, parseOptionArgument, type OptionArgument } from './option-args.js';
export type {
  CompileOptions,
  CompileResult,
  HostAnswer,
  HostCall,
  HostCallHandler,
  HostFunctionSpec,
  HostModuleSpec,
  LogEntry,
  LogLevel,
  Program,
  RunFailure,
  RunLimits,
  RunOptions,
  RunResult,
  RunSuccess,
} from './api-types.js';
export { DEFAULT_LIMITS } from './eval/state.js';
export { ErrorCodes, KclError, diagnostic, isStackOverflow, formatDiagnostic, formatDiagnosticShort, type Diagnostic, type ErrorCode } from './diagnostics.js';
export { formatSpan, type Span } from './span.js';
export {
  KDict,
  KFloat,
  KFunction,
  KModule,
  KUnit,
  SchemaInstance,
  UNDEFINED,
  isNullish,
  isUndefined,
  truthy,
  typeName,
  type Value,
} from './value.js';
export { isDropped, plainJsonBytes, plainToJson, toKcl, toPlain, type PlainOptions } from './convert.js';
export { BYTES_PER_STEP, ELEMENT_BYTES, NO_METER, TextBudget, type Meter } from './budget.js';
export { renderExports, renderYaml, renderYamlStream, type YamlOutputOptions } from './yaml-output.js';
export { displayValue } from './display.js';

/** formatDiagnostic with the offending source line looked up in `source`. */
export function formatDiagnosticWithSource(d: Diagnostic, source: string): string {
  const lines = source.split(/\r?\n/);
  let out = formatDiagnostic(d, d.span ? lines[d.span.line - 1] : undefined);
  // Related locations follow as extra snippets, the way the reference prints them.
  for (const r of d.related ?? []) {
    const snippet = formatDiagnostic({ code: d.code, message: r.message, span: r.span }, lines[r.span.line - 1]);
    out += '\n' + snippet.slice(snippet.indexOf('\n') + 1);
  }
  return out;
}

/**
 * What `kcl run` prints for a successful run: the exported variables as one YAML document, or,
 * when the module's only output is a top-level list expression, that list as a `---` stream.
 */
export function renderRunOutput(result: RunSuccess | Map<string, Value>, opts: YamlOutputOptions = {}): string {
  if (result instanceof Map) return renderExports(result, opts);
  if (result.streamText !== undefined) return result.streamText;
  if (result.stream) return renderYamlStream(result.stream, opts);
  return renderExports(opts.showHidden && result.withHidden ? result.withHidden : result.exports, opts);
}

/**
 * K9002 for outputs a recursive conversion (YAML, JSON, toPlain) overflowed the JavaScript stack
 * on: at the statement assigning `name`, or else the most deeply nested of `outputs`.
 */
export function outputTooDeep(program: Program, outputs: ReadonlyMap<string, Value>, name = deepestOutput(outputs)): Diagnostic {
  const span = name === undefined ? undefined : program.exportSpan?.(name);
  const what = name === undefined ? 'an output' : `output '${name}'`;
  return diagnostic('K9002', `maximum recursion depth exceeded: ${what} is nested too deeply to convert`, span);
}
