/**
 * Host modules: modules the embedding program names at compile time (HostModuleSpec) and
 * answers per run (RunOptions.host), such as kclguard's `kube`. The interpreter knows only their
 * shape: each function binds its arguments by parameter name, hands them to the host as plain
 * JSON, and returns the host's JSON answer as KCL values — counted against the run's budgets by
 * ctx.hostCall. What the functions mean is the host's business.
 */
import type { HostFunctionSpec, HostModuleSpec } from '../api-types.js';
import { toPlain } from '../convert.js';
import { KModule, UNDEFINED, type Value } from '../value.js';
import { member, type Args } from './args.js';

function hostFunction(moduleName: string, spec: HostFunctionSpec): (a: Args) => Value {
  const required = spec.required ?? spec.params.length;
  return (a) => {
    const unknown = [...a.call.kwargs.keys()].find((k) => !spec.params.includes(k));
    if (unknown !== undefined) throw a.error('E2L23', `${moduleName}.${spec.name}() got an unexpected keyword argument '${unknown}'`);
    const budget = a.ctx.textBudget(`argument of ${moduleName}.${spec.name}()`);
    const args = spec.params.map((_, i) => {
      const v = i < required ? a.need(i) : a.get(i);
      return v === undefined || v === UNDEFINED ? null : toPlain(v, { budget });
    });
    return a.ctx.hostCall({ module: moduleName, function: spec.name, args });
  };
}

/** The KModule `import <spec.name>` binds: one member per function of the spec. */
export function hostModule(spec: HostModuleSpec): KModule {
  return new KModule(spec.name, new Map(spec.functions.map((f) => member(spec.name, f.name, f.params, hostFunction(spec.name, f)))));
}

/** A stable text naming a set of host modules (part of the shared module cache's keys). */
export function hostModulesKey(specs: readonly HostModuleSpec[]): string {
  return JSON.stringify(specs.map((s) => [s.name, s.functions.map((f) => [f.name, f.params, f.required ?? f.params.length])]));
}
