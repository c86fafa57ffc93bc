/**
 * The evaluator's host: builtin functions, system modules, string methods and display forms,
 * all from the builtins' public surface (src/kcl/builtins/index.ts). Looked up at plan time only.
 */
import { displayValue } from '../display.js';
import { builtinFunction, formatInterpolation, stringMethod, systemModule, unsupportedPattern } from '../builtins/index.js';
import type { Host } from './planner.js';

export const defaultHost: Host = {
  builtin: builtinFunction,
  systemModule,
  stringMethod,
  display: displayValue,
  formatSpec: formatInterpolation,
  unsupportedPattern,
};
