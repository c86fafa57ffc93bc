/**
 * The builtins' public surface for the evaluator. Everything is looked up by name at plan time;
 * the values returned are immutable and shared across runs (modules are built once).
 *
 *   builtinFunction(name)            a builtin function (`len`, `option`, ...) or undefined
 *   systemModule(name)               the KModule `import name` binds, or undefined (not a
 *                                    system module). `file` exists but every member raises
 *                                    K9005 SandboxViolation when called.
 *   stringMethod(receiver, name)     `"x".name` as a function bound to the receiver, or undefined
 *   formatInterpolation(value, spec) the text of `${value: #json}` / `${value: #yaml}`
 *
 * Calling: every KFunction here is `fn.call({ args, kwargs }, ctx)` with ctx the run's
 * BuiltinContext (builtin-context.ts). Builtins throw only KclError, positioned at
 * ctx.callSpan; `print` hands ctx.print the finished text *including* its `end` (default "\n").
 * `option` reads ctx.option(name) and applies `type=`/`required=`/`default=`.
 * `runtime.catch` calls back through ctx.callFunction and never catches K9xxx guardrail errors.
 */
import type { KFunction, KModule, Value } from '../value.js';
import type { TextBudget } from '../budget.js';
import { encodeJson } from './json.js';
import { BUILTIN_FUNCTIONS } from './functions.js';
import { stringMethod as boundStringMethod } from './string-methods.js';
import { renderYaml } from '../yaml-output.js';
import { base32Module } from './base32.js';
import { base64Module } from './base64.js';
import { collectionModule } from './collection.js';
import { cryptoModule } from './crypto.js';
import { datetimeModule } from './datetime.js';
import { fileModule } from './file.js';
import { jsonModule } from './json.js';
import { logModule } from './log.js';
import { manifestsModule } from './manifests.js';
import { mathModule } from './math.js';
import { netModule } from './net.js';
import { regexModule } from './regex.js';
import { RegexUnsupported, compileRegex } from './regex-engine.js';
import { runtimeModule } from './runtime.js';
import { unitsModule } from './units.js';
import { yamlModule } from './yaml.js';

const MODULE_FACTORIES: Record<string, () => KModule> = {
  base32: base32Module,
  base64: base64Module,
  collection: collectionModule,
  crypto: cryptoModule,
  datetime: datetimeModule,
  file: fileModule,
  json: jsonModule,
  log: logModule,
  manifests: manifestsModule,
  math: mathModule,
  net: netModule,
  regex: regexModule,
  runtime: runtimeModule,
  units: unitsModule,
  yaml: yamlModule,
};

export const SYSTEM_MODULE_NAMES: readonly string[] = Object.keys(MODULE_FACTORIES);

const modules = new Map<string, KModule>();

export function builtinFunction(name: string): KFunction | undefined {
  return BUILTIN_FUNCTIONS.get(name);
}

export const BUILTIN_NAMES: readonly string[] = [...BUILTIN_FUNCTIONS.keys()];

export function systemModule(name: string): KModule | undefined {
  if (!Object.prototype.hasOwnProperty.call(MODULE_FACTORIES, name)) return undefined;
  let m = modules.get(name);
  if (!m) {
    m = MODULE_FACTORIES[name]();
    modules.set(name, m);
  }
  return m;
}

export function stringMethod(receiver: string, name: string): KFunction | undefined {
  return boundStringMethod(receiver, name);
}

export { STRING_METHOD_NAMES } from './string-methods.js';

/**
 * `${x: #json}` is json.encode(x); `${x: #yaml}` is yaml.encode(x) (private keys kept). The
 * text is counted against `budget` while it is written.
 */
export function formatInterpolation(value: Value, spec: '#json' | '#yaml', budget?: TextBudget): string {
  return spec === '#json' ? encodeJson(value, {}, budget) : renderYaml(value, { showHidden: true }, budget);
}

/**
 * Why a regular expression written as a literal in a policy cannot run on the linear-time
 * engine (the K9006 message), or undefined when it can (or is merely invalid: that stays the
 * reference's run-time error).
 */
export function unsupportedPattern(pattern: string): string | undefined {
  try {
    compileRegex(pattern);
  } catch (e) {
    if (e instanceof RegexUnsupported) return e.message;
  }
  return undefined;
}
