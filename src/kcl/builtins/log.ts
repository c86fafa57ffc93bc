/**
 * kclguard's `log` module — an extension, not part of KCL: `import log` then
 * `log.debug(...)`, `log.info(...)`, `log.warn(...)`, `log.error(...)`. Positional arguments are
 * displayed like print()'s and joined by spaces; keyword arguments follow as logfmt fields
 * (`image="nginx:latest" replicas=3`, in call order). Each call hands one message to the run
 * (RunOptions.onLog, or RunResult.logs) and returns None. Being a module, it adds no global
 * name, so real KCL programs (which cannot `import log`) are unaffected; a policy that imports
 * it fails on the reference KCL with E2F04 CannotFindModule.
 */
import type { LogLevel } from '../api-types.js';
import type { TextBudget } from '../budget.js';
import { displayValue } from '../display.js';
import { KModule, type Value } from '../value.js';
import { member, type Args } from './args.js';

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** A logfmt value: bare when it is one plain word, JSON-quoted otherwise. */
function fieldValue(v: Value, budget: TextBudget): string {
  const text = displayValue(v, budget);
  return /^[^\s"=]+$/.test(text) ? text : JSON.stringify(text);
}

function logAt(level: LogLevel): (a: Args) => Value {
  return (a) => {
    const budget = a.ctx.textBudget('log message');
    const parts = a.positional.map((v) => displayValue(v, budget));
    for (const [k, v] of a.call.kwargs) parts.push(`${k}=${fieldValue(v, budget)}`);
    const message = parts.join(' ');
    // Collected messages stay in memory until the run ends: they count against its budgets.
    a.ctx.checkBytes(message.length);
    a.ctx.log(level, message);
    return null;
  };
}

export function logModule(): KModule {
  return new KModule('log', new Map<string, Value>(LEVELS.map((level) => member('log', level, [], logAt(level), true))));
}
