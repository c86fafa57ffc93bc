/**
 * The planner: walks the AST once per compile and turns it into closures (`Ev` for
 * expressions, `Exec` for statements). Names are resolved here — local, global or builtin —
 * and names that resolve nowhere are reported as compile diagnostics, so a run never re-walks
 * the tree or re-resolves a name.
 */
import type { HostModuleSpec } from '../api-types.js';
import type * as ast from '../ast.js';
import type { Diagnostic } from '../diagnostics.js';
import { diagnostic, type ErrorCode } from '../diagnostics.js';
import type { Span } from '../span.js';
import { UNDEFINED, type KFunction, type KModule, type Value } from '../value.js';
import type { Ev } from './env.js';
import { evalError } from './errors.js';
import { planExprNode } from './plan-expr.js';
import { planStmtNode, type StmtMode } from './plan-stmt.js';
import type { Exec, SchemaType } from './schema.js';
import { planLocalRead, type LocalScope } from './plan-name.js';
import { planType, type RuntimeType, type TypeResolver } from './types.js';
import { ModuleOwner } from './module-scope.js';
import type { TextBudget } from '../budget.js';
import type { CheckedModule } from '../check/index.js';

/** What the evaluator needs from the builtins: looked up at plan time, never per run. */
export interface Host {
  builtin(name: string): Value | undefined;
  systemModule(name: string): KModule | undefined;
  /** A string method bound to its receiver (`"a".upper`), or undefined. */
  stringMethod(receiver: string, name: string): KFunction | undefined;
  /** `str()` / interpolation display form, counted against the budget while it is written. */
  display(v: Value, budget?: TextBudget): string;
  /** `${x: #json}` / `${x: #yaml}`, counted the same way. */
  formatSpec(v: Value, spec: '#json' | '#yaml', budget?: TextBudget): string;
  /** Why a regular expression cannot run here (a K9006 message), or undefined when it can. */
  unsupportedPattern(pattern: string): string | undefined;
  /** The host modules it binds, for the checker to type their functions. */
  readonly hostModules?: readonly HostModuleSpec[];
}

/** A KCL module (a package directory or file) imported by the module being planned. */
export interface ImportedModule {
  readonly owner: ModuleOwner;
  /** Its top-level names (schemas, variables, functions), for compile-time `mod.name` checks. */
  readonly members: ReadonlySet<string>;
  readonly schemas: ReadonlyMap<string, SchemaType>;
  /** Its names' types as the checker found them (see check/). */
  readonly types?: CheckedModule;
}

export class Planner implements TypeResolver {
  readonly diagnostics: Diagnostic[] = [];
  readonly globals = new Set<string>();
  /**
   * Each global's slot in a run's values (ModulePlan.slots), known before the module's
   * statements and schemas are planned, so their reads and writes skip the name lookup.
   */
  globalSlots: ReadonlyMap<string, number> = new Map();
  readonly schemas = new Map<string, SchemaType>();
  readonly aliases = new Map<string, ast.Type>();
  readonly modules = new Map<string, KModule>();
  /** User modules bound by `import` (package-wide, as in the reference), by local name. */
  readonly imported = new Map<string, ImportedModule>();
  /** Imported modules the code refers to: only those are evaluated in a run. */
  readonly used = new Set<ImportedModule>();
  private readonly scopes: LocalScope[] = [];

  constructor(
    readonly filename: string,
    readonly host: Host,
    readonly owner: ModuleOwner = new ModuleOwner('__main__'),
  ) {}

  /** The imported module a name refers to where it is read (a local of that name shadows it). */
  importedModule(name: string): ImportedModule | undefined {
    const m = this.imported.get(name);
    if (!m) return undefined;
    for (const s of this.scopes) if (s.names.has(name)) return undefined;
    this.used.add(m);
    return m;
  }

  /** A schema by name: `S` of this module or `mod.S` of an imported one. */
  lookupSchema(name: string): SchemaType | undefined {
    const own = this.schemas.get(name);
    if (own) return own;
    const dot = name.indexOf('.');
    if (dot <= 0) return undefined;
    return this.importedModule(name.slice(0, dot))?.schemas.get(name.slice(dot + 1));
  }

  report(code: ErrorCode, message: string, span: Span): void {
    this.diagnostics.push(diagnostic(code, message, span));
  }

  // ---------------------------------------------------------------- TypeResolver

  schema(name: string): (() => SchemaType) | undefined {
    const s = this.lookupSchema(name);
    return s ? () => s : undefined;
  }

  alias(name: string): ast.Type | undefined {
    return this.aliases.get(name);
  }

  systemModuleName(name: string): string | undefined {
    return this.modules.get(name)?.name;
  }

  type(t: ast.Type): RuntimeType {
    return planType(t, this);
  }

  // ---------------------------------------------------------------- scopes

  withScope<T>(scope: LocalScope, body: () => T): T {
    this.scopes.push(scope);
    try {
      return body();
    } finally {
      this.scopes.pop();
    }
  }

  isLocal(name: string): boolean {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const s = this.scopes[i]!;
      if (s.names.has(name) || s.dynamic) return true;
    }
    return false;
  }

  get inLocalScope(): boolean {
    return this.scopes.length > 0;
  }

  /** Plans a read of `name`. */
  name(name: string, span: Span): Ev {
    const global = this.globalLookup(name, span);
    return this.isLocal(name) ? planLocalRead(this.scopes, name, global) : global;
  }

  /**
   * The slot of `name` in the innermost scope's frame, where a lambda body's assignment stores
   * it (the lambda's layout lists every name its body assigns).
   */
  localSlot(name: string): number {
    const slot = this.scopes[this.scopes.length - 1]?.layout?.get(name);
    if (slot === undefined) throw new Error(`internal: '${name}' has no slot in the lambda's frame`);
    return slot;
  }

  private globalLookup(name: string, span: Span): Ev {
    if (this.imported.has(name) && this.importedModule(name)) {
      // A module name on its own is no value (the checker refuses storing it anywhere).
      return () => UNDEFINED;
    }
    if (this.globals.has(name)) {
      // A global of this module even when read from another module's frame (a parent schema's
      // body runs in its child's instance, which may live in another module).
      const owner = this.owner;
      const slot = this.globalSlots.get(name);
      return (env) => (env.mod.owner === owner ? env.mod : env.st.scopeFor(owner)).getAt(slot, name);
    }
    const builtin = this.host.builtin(name);
    if (builtin !== undefined) return () => builtin;
    if (this.isLocal(name)) {
      // A schema body may read an attribute the planner cannot see (set by the config).
      return () => UNDEFINED;
    }
    // The checker has refused every undefined name the reference refuses at compile time; one
    // it lets through (an operand the reference's checker does not look at) fails when it runs.
    return () => {
      throw evalError(`name '${name}' is not defined`, span);
    };
  }

  // ---------------------------------------------------------------- dispatch

  expr(node: ast.Expr): Ev {
    return planExprNode(this, node);
  }

  stmts(nodes: readonly (ast.Stmt | ast.SchemaAttr)[], mode: StmtMode): Exec[] {
    return nodes.map((n) => planStmtNode(this, n, mode));
  }
}

export const BUILTIN_TYPE_NAMES = new Set(['any', 'int', 'float', 'str', 'bool', 'list', 'dict', 'number_multiplier']);
