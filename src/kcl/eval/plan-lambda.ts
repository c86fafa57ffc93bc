/**
 * Lambdas and calls. A lambda is planned once; each evaluation of the lambda expression makes
 * a KFunction closing over the current environment. Calls count a step and a level of depth, so
 * runaway recursion ends with K9002 (or K9001) rather than a JS stack overflow.
 */
import type * as ast from '../ast.js';
import { KclError, kclError } from '../diagnostics.js';
import type { Span } from '../span.js';
import { KDict, KFunction, UNDEFINED, isSchemaType, type CallArgs, type Value } from '../value.js';
import type { Env, Ev } from './env.js';
import type { Planner } from './planner.js';
import type { RunState } from './state.js';
import { SchemaType, type Exec, type PlannedParam } from './schema.js';
import { checkOrThrow, type RuntimeType } from './types.js';
import { assignedNames } from './plan-stmt.js';
import { layoutOf } from './plan-name.js';

export function callValue(env: Env, f: Value, a: CallArgs, span: Span): Value {
  const st = env.st;
  if (f instanceof KFunction) {
    const saved = st.callSpan;
    st.callSpan = span;
    try {
      return f.call(a, st);
    } catch (e) {
      if (e instanceof KclError && !e.diagnostic.span) throw new KclError({ ...e.diagnostic, span });
      throw e;
    } finally {
      st.callSpan = saved;
    }
  }
  if (isSchemaType(f) && f instanceof SchemaType) {
    return f.instantiate(env, new KDict(), a.args, a.kwargs, span, true);
  }
  // What the checker cannot see (a value only known at run time) the reference does not call:
  // calling anything that is not a function or a schema gives Undefined.
  return UNDEFINED;
}

export function planParams(p: Planner, params: readonly ast.Parameter[]): PlannedParam[] {
  return params.map((param) => ({
    name: param.name,
    type: param.type ? p.type(param.type) : undefined,
    default: param.default ? p.expr(param.default) : undefined,
  }));
}

/**
 * Binds a call's arguments to the parameters, into `slots` (parameter i's slot is `slotOf[i]`):
 * positional first, then keywords, then defaults evaluated in `defaultsEnv`.
 */
export function bindParams(
  name: string,
  params: readonly PlannedParam[],
  slotOf: readonly number[],
  slots: (Value | undefined)[],
  call: CallArgs,
  defaultsEnv: Env,
  checkEnv: Env,
  span: Span | undefined,
): void {
  if (call.args.length > params.length) {
    throw kclError('E2L23', `"${name}" takes ${params.length} positional argument(s) but ${call.args.length} were given`, span);
  }
  for (let i = 0; i < params.length; i++) {
    const param = params[i]!;
    let v: Value | undefined = i < call.args.length ? call.args[i] : call.kwargs.get(param.name);
    if (v === undefined) {
      if (param.default) v = param.default(defaultsEnv);
      else throw kclError('E2L23', `"${name}" missing 1 required positional argument: '${param.name}'`, span);
    }
    slots[slotOf[i]!] = param.type ? checkOrThrow(param.type, v, checkEnv, span) : v;
  }
  if (call.kwargs.size > 0) {
    for (const k of call.kwargs.keys()) {
      if (!params.some((param) => param.name === k)) {
        throw kclError('E2L23', `"${name}" got an unexpected keyword argument '${k}'`, span);
      }
    }
  }
}

export function planLambda(p: Planner, node: ast.LambdaExpr, name = 'lambda'): Ev {
  const names = new Set<string>(node.params.map((x) => x.name));
  for (const n of assignedNames(node.body)) names.add(n);
  // Parameters first, then the names the body assigns: every local of the body has a slot.
  const layout = layoutOf(names);
  const slotOf = node.params.map((x) => layout.get(x.name)!);
  // Defaults are evaluated where the lambda is defined, so they cannot see the parameters.
  const params = planParams(p, node.params);
  return p.withScope({ names, dynamic: false, layout, lambda: true }, () => {
    const body: Exec[] = p.stmts(node.body, 'local');
    const ret: RuntimeType | undefined = node.returnType ? p.type(node.returnType) : undefined;
    const span = node.span;
    return (env) => {
      const closure = env;
      return new KFunction(name, (call: CallArgs, ctx: unknown): Value => {
        const st = ctx as RunState;
        st.step();
        st.enter(st.callSpan ?? span);
        try {
          const frame = closure.child(layout);
          bindParams(name, params, slotOf, frame.slots, call, closure, closure, st.callSpan ?? span);
          for (const stmt of body) stmt(frame);
          const result = frame.result;
          const v = result === undefined ? UNDEFINED : result;
          return ret ? checkOrThrow(ret, v, frame, span) : v;
        } finally {
          st.leave();
        }
      });
    };
  });
}
