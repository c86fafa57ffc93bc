/**
 * The evaluator's host: builtin functions, system modules, string methods and display forms,
 * all from the builtins' public surface (src/kcl/builtins/index.ts). Looked up at plan time only.
 */
import type { HostModuleSpec } from '../api-types.js';
import { displayValue } from '../display.js';
import { builtinFunction, formatInterpolation, stringMethod, systemModule, unsupportedPattern } from '../builtins/index.js';
import { hostModule, hostModulesKey } from '../builtins/host-module.js';
import type { KModule } from '../value.js';
import type { Host } from './planner.js';

export const defaultHost: Host = {
  builtin: builtinFunction,
  systemModule,
  stringMethod,
  display: displayValue,
  formatSpec: formatInterpolation,
  unsupportedPattern,
};

/** Hosts with host modules, by hostModulesKey: a spec set is planned into one KModule each. */
const hosts = new Map<string, Host>();

/**
 * The host that also binds these host modules. System modules come first (a host module named
 * like one, e.g. `json`, is never reachable), as a package directory of that name is not.
 */
export function hostFor(specs: readonly HostModuleSpec[] | undefined): Host {
  if (!specs || specs.length === 0) return defaultHost;
  const key = hostModulesKey(specs);
  let host = hosts.get(key);
  if (!host) {
    const modules = new Map<string, KModule>(specs.map((spec) => [spec.name, hostModule(spec)]));
    host = { ...defaultHost, systemModule: (name) => systemModule(name) ?? modules.get(name), hostModules: specs };
    // A process names a handful of spec sets (kclguard: one); bound it anyway.
    if (hosts.size >= 16) hosts.clear();
    hosts.set(key, host);
  }
  return host;
}
