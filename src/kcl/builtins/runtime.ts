/**
 * The `runtime` system module: `catch(fn)` calls a function and returns the message of the
 * error it raised, or Undefined when it raised none. kclguard's guardrail errors (step budget,
 * recursion, timeout, size, sandbox: K9xxx) are not catchable, so a policy cannot swallow them.
 */
import { KclError } from '../diagnostics.js';
import { KModule, UNDEFINED, type Value } from '../value.js';
import { member } from './args.js';

export function runtimeModule(): KModule {
  return new KModule(
    'runtime',
    new Map<string, Value>([
      member('runtime', 'catch', ['func'], (a) => {
        const fn = a.fnArg(0);
        try {
          a.ctx.callFunction(fn, { args: [], kwargs: new Map() });
          return UNDEFINED;
        } catch (e) {
          if (e instanceof KclError && !e.diagnostic.code.startsWith('K9')) return e.diagnostic.message;
          throw e;
        }
      }),
    ]),
  );
}
