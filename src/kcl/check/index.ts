/**
 * The static checker: the stage between parsing and planning (parse → check → plan → run).
 * It types a module the way the reference KCL's resolver does and refuses, with the
 * reference's code and position, what the reference refuses at compile time: type mismatches
 * (E2G22 TypeError), unknown names, attributes and arguments (E2L23 CompileError), reassigned
 * immutable variables (E1001 ImmutableError) and the rest of docs/kcl-checker.md. It knows
 * nothing of values: it never runs code, and what depends on run-time values is left to run time.
 */
import type * as ast from '../ast.js';
import type { Diagnostic } from '../diagnostics.js';
import type { HostModuleSpec } from '../api-types.js';
import { Checker, type CheckedModule } from './checker.js';
import { immutabilityErrors } from './immutability.js';
import { buildSchemas, declareSchemas } from './schemas.js';
import { declareGlobals, statementsType } from './statements.js';
import { ANY, func, type Type } from './types.js';

export type { CheckedModule } from './checker.js';

/** What an import statement names, for the checker: a system module or a checked user module. */
/** What an import binds: a checked module, a system module, a host module's spec, or unknown. */
export type ImportedTypes = (stmt: ast.ImportStmt) => CheckedModule | 'system' | HostModuleSpec | undefined;

export interface CheckResult {
  readonly diagnostics: Diagnostic[];
  /** The module's top-level names and their types, for the modules importing it. */
  readonly module: CheckedModule;
}

/** Checks one module: the statements of its files, in file order, form one scope. */
export function checkModule(body: readonly ast.Stmt[], pkgpath: string, filename: string, imports: ImportedTypes): CheckResult {
  const c = new Checker(pkgpath, filename);
  for (const s of body) {
    if (s.kind !== 'ImportStmt') continue;
    const target = imports(s);
    if (target !== undefined && target !== 'system' && 'functions' in target) {
      c.hostModules.set(target.name, hostModuleTypes(target));
      c.insert(s.name, { ty: { k: 'module', pkgpath: target.name, system: true }, span: s.span, kind: 'module' });
    } else if (target === 'system') {
      c.insert(s.name, { ty: { k: 'module', pkgpath: s.path, system: true }, span: s.span, kind: 'module' });
    } else if (target) {
      c.modules.set(target.pkgpath, target);
      c.insert(s.name, { ty: { k: 'module', pkgpath: target.pkgpath, system: false }, span: s.span, kind: 'module' });
    } else {
      c.insert(s.name, { ty: ANY, span: s.span, kind: 'module' });
    }
  }
  c.immutable = immutabilityErrors(body);
  // The reference reports ImmutableErrors before any type error, wherever they are.
  for (const target of c.immutable.keys()) c.reportImmutable(target);
  const defs = declareSchemas(c, body);
  declareGlobals(c, body);
  buildSchemas(c, defs);
  statementsType(c, body);
  const members = new Map([...c.packageScope.elems].map(([name, obj]) => [name, obj.ty]));
  return { diagnostics: c.diagnostics, module: { pkgpath, members } };
}

/** A host module's functions: parameters of any type, those past `required` optional. */
function hostModuleTypes(spec: HostModuleSpec): ReadonlyMap<string, Type> {
  return new Map(spec.functions.map((f) => {
    const required = f.required ?? f.params.length;
    return [f.name, func(f.params.map((name, i) => ({ name, ty: ANY, hasDefault: i >= required })), ANY)];
  }));
}
