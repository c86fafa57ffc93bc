/**
 * compile(source, filename): parse once, plan once into closures; the Program it returns runs
 * per call with fresh state and never throws (errors come back as diagnostics).
 */
import type * as ast from './ast.js';
import type { Span } from './span.js';
import type { CompileOptions, CompileResult, Program, RunFailure, RunOptions, RunResult, RunSuccess } from './api-types.js';
import { KclError, capDiagnostics, diagnostic, type Diagnostic } from './diagnostics.js';
import { parse } from './parse.js';
import { KFunction, KModule, SchemaInstance, UNDEFINED, isSchemaType, type Value } from './value.js';
import { ModuleOwner, type ModulePlan, type ModuleScope } from './eval/module-scope.js';
import { Planner, type ImportedModule } from './eval/planner.js';
import { assignedNames } from './eval/plan-stmt.js';
import { layoutOf } from './eval/plan-name.js';
import { declareSchema, fillOrder, fillSchema } from './eval/plan-schema.js';
import { RunState } from './eval/state.js';
import type { SchemaType } from './eval/schema.js';
import { isConfig, unionValues } from './eval/union.js';
import { checkOutputParts, type OutputPart } from './eval/module-output.js';
import { hostFor } from './eval/host.js';
import type { Host } from './eval/planner.js';
import { checkModule, type CheckedModule } from './check/index.js';
import { mergeDeclarations } from './merge-declarations.js';

const DEBUG = typeof process !== 'undefined' && Boolean(process.env.KCLGUARD_DEBUG);

/** Modules a policy may not import: the sandbox has no file system or process access. */
const SANDBOXED_MODULES = new Set(['file', 'os', 'sys', 'subprocess']);

export function compile(source: string, filename: string, options: CompileOptions = {}): CompileResult {
  let parsed: { module: ast.Module; diagnostics: Diagnostic[] };
  try {
    parsed = parse(source, filename);
  } catch (e) {
    return { ok: false, diagnostics: [internalDiagnostic(e)] };
  }
  if (parsed.diagnostics.length > 0) return { ok: false, diagnostics: capDiagnostics(parsed.diagnostics) };
  const unit = planUnit([parsed.module], filename, new ModuleOwner('__main__'), undefined, hostFor(options.hostModules));
  return unit.ok ? { ok: true, program: programOf(filename, unit.unit) } : { ok: false, diagnostics: capDiagnostics(unit.diagnostics) };
}

/**
 * A planned module: the unit of sharing. An imported module is planned once and its unit used
 * by every module (and every program) that imports it; each run evaluates it at most once.
 */
export interface ModuleUnit extends ImportedModule {
  readonly plan: ModulePlan;
  /** What the checker knows of the module's names, for the modules importing it. */
  readonly types: CheckedModule;
  /** Exported variables in declaration order (for the main module's output). */
  readonly exportOrder: readonly string[];
  readonly schemas: ReadonlyMap<string, SchemaType>;
  /** Imported modules this module's code uses, in import order; they run before it. */
  readonly uses: readonly ModuleUnit[];
}

/**
 * What an import statement names, as the package layer resolves it: a user module, errors (a
 * missing module, an import cycle, errors inside the imported files), or `undefined` when the
 * path names no user module (then it must be a system module).
 */
export type ImportResolver = (stmt: ast.ImportStmt) => ModuleUnit | Diagnostic[] | undefined;

export type UnitResult = { readonly ok: true; readonly unit: ModuleUnit } | { readonly ok: false; readonly diagnostics: Diagnostic[] };

/** Plans the files of one module (their bodies form one module scope, in file order). */
export function planUnit(files: readonly ast.Module[], filename: string, owner: ModuleOwner, resolveImport?: ImportResolver, host: Host = hostFor(undefined)): UnitResult {
  try {
    const body = files.flatMap((f) => f.body);
    // Repeated unifications of the main module are one declaration (as in the reference).
    return planModule(owner.pkgpath === '__main__' ? mergeDeclarations(body) : body, filename, owner, resolveImport, host);
  } catch (e) {
    if (e instanceof KclError) return { ok: false, diagnostics: [e.diagnostic] };
    return { ok: false, diagnostics: [internalDiagnostic(e)] };
  }
}

function bindImport(p: Planner, s: ast.ImportStmt, constants: Map<string, Value>, resolveImport: ImportResolver | undefined): void {
  const root = s.path.replace(/^\.+/, '').split('.')[0]!;
  if (SANDBOXED_MODULES.has(root) && !s.path.startsWith('.')) {
    p.report('K9005', `module '${s.path}' is not available: policies run in a sandbox without file or process access`, s.span);
    return;
  }
  // System modules come first, as in the reference: a package directory named `math` is not
  // reachable by `import math`.
  const system = s.path.startsWith('.') ? undefined : p.host.systemModule(s.path);
  if (system) {
    constants.set(s.name, system);
    p.modules.set(s.name, system);
    return;
  }
  const resolved = resolveImport?.(s);
  if (resolved === undefined) {
    p.report('E2F04', `pkgpath ${s.path} not found in the program`, s.span);
  } else if (Array.isArray(resolved)) {
    p.diagnostics.push(...resolved);
  } else {
    p.imported.set(s.name, resolved);
  }
}

function planModule(body: readonly ast.Stmt[], filename: string, owner: ModuleOwner, resolveImport: ImportResolver | undefined, host: Host): UnitResult {
  const p = new Planner(filename, host, owner);
  const constants = new Map<string, Value>();
  const schemaStmts: (ast.SchemaStmt | ast.RuleStmt)[] = [];
  for (const s of body) {
    if (s.kind === 'SchemaStmt' || s.kind === 'RuleStmt') {
      schemaStmts.push(s);
      constants.set(s.name, declareSchema(p, s));
    } else if (s.kind === 'TypeAliasStmt') {
      p.aliases.set(s.name, s.type);
    } else if (s.kind === 'ImportStmt') {
      bindImport(p, s, constants, resolveImport);
    }
  }
  // Errors in imported modules stop here: planning this one against them would only add noise.
  if (p.diagnostics.length > 0) return { ok: false, diagnostics: p.diagnostics };
  // The check stage: what the reference refuses at compile time is refused here, before planning.
  const checked = checkModule(body, owner.pkgpath, filename, (stmt) => {
    if (p.modules.get(stmt.name)) return p.host.hostModules?.find((m) => m.name === stmt.path) ?? 'system';
    return p.imported.get(stmt.name)?.types;
  });
  if (checked.diagnostics.length > 0) return { ok: false, diagnostics: checked.diagnostics };
  // Every name a statement assigns has a slot, numbered in order of first assignment.
  const slots = layoutOf(assignedNames(body));
  p.globalSlots = slots;
  for (const n of slots.keys()) p.globals.add(n);
  for (const n of p.aliases.keys()) p.globals.delete(n);
  for (const s of fillOrder(p, schemaStmts)) fillSchema(p, s, p.schemas.get(s.name)!);

  const statements = p.stmts(body, 'module');
  const setters = new Map<string, number[]>();
  const exportOrder: string[] = [];
  body.forEach((s, i) => {
    for (const n of assignedNames([s])) {
      let list = setters.get(n);
      if (!list) {
        setters.set(n, (list = []));
        if (s.kind !== 'SchemaStmt' && s.kind !== 'RuleStmt' && s.kind !== 'ImportStmt' && s.kind !== 'TypeAliasStmt') {
          exportOrder.push(n);
        }
      }
      list.push(i);
    }
  });
  if (p.diagnostics.length > 0) return { ok: false, diagnostics: p.diagnostics };
  const plan: ModulePlan = { pkgpath: owner.pkgpath, statements, spans: body.map((s) => s.span), setters, slots, constants };
  owner.plan = plan;
  const members = new Set([...setters.keys()].filter((n) => !p.imported.has(n)));
  const uses = [...p.imported.values()].filter((m) => p.used.has(m)) as ModuleUnit[];
  return { ok: true, unit: { owner, plan, exportOrder, schemas: p.schemas, members, uses, types: checked.module } };
}

/** The modules a run evaluates before the main one: used imports, dependencies first. */
function evaluationOrder(main: ModuleUnit): ModuleUnit[] {
  const order: ModuleUnit[] = [];
  const seen = new Set<ModuleUnit>([main]);
  const visit = (unit: ModuleUnit): void => {
    for (const dep of unit.uses) {
      if (seen.has(dep)) continue;
      seen.add(dep);
      visit(dep);
      order.push(dep);
    }
  };
  visit(main);
  return order;
}

/** Every schema of every module the program can reach (their instance lists are per run). */
function reachableSchemas(main: ModuleUnit, order: readonly ModuleUnit[]): SchemaType[] {
  const all = new Set<SchemaType>();
  const visit = (unit: ModuleUnit, seen: Set<ModuleUnit>): void => {
    if (seen.has(unit)) return;
    seen.add(unit);
    for (const s of unit.schemas.values()) all.add(s);
    for (const dep of unit.uses) visit(dep, seen);
  };
  const seen = new Set<ModuleUnit>();
  visit(main, seen);
  for (const unit of order) visit(unit, seen);
  return [...all];
}

/** The Program of a planned main module. */
export function programOf(filename: string, main: ModuleUnit): Program {
  const order = evaluationOrder(main);
  return new CompiledProgram(filename, main, order, reachableSchemas(main, order));
}

function internalDiagnostic(e: unknown): Diagnostic {
  const detail = e instanceof Error ? e.message : String(e);
  return diagnostic('E3M38', `internal error in the KCL evaluator: ${detail}`);
}

function isExportable(v: Value | undefined): v is Value {
  return v !== undefined && v !== UNDEFINED && !(v instanceof KFunction) && !(v instanceof KModule) && !isSchemaType(v);
}

class CompiledProgram implements Program {
  constructor(
    readonly filename: string,
    private readonly main: ModuleUnit,
    /** Imported modules to evaluate first, dependencies before their importers. */
    private readonly order: readonly ModuleUnit[],
    private readonly schemas: readonly SchemaType[],
  ) {}

  exportSpan(name: string): Span | undefined {
    const { setters, spans } = this.main.plan;
    const at = setters.get(name)?.[0];
    return at === undefined ? undefined : spans[at];
  }

  /** The exported variables as output parts, each at its first assignment. */
  private exportedParts(mod: ModuleScope): OutputPart[] {
    return this.main.exportOrder
      .filter((name) => !name.startsWith('_') && isExportable(mod.value(name)))
      .map((name) => ({ span: this.exportSpan(name)! }));
  }

  run(options: RunOptions = {}): RunResult {
    const st = new RunState(options.limits, options.options ?? {}, options.onPrint, options.onLog, options.host);
    for (const s of this.schemas) s.instances.length = 0;
    const printed = (): string => st.printedParts.join('');
    // A failing assert or check is an ordinary outcome (a denial), and capturing a JS stack
    // for its KclError costs more than the whole evaluation; nobody reads those stacks.
    const savedStackLimit = Error.stackTraceLimit;
    if (!DEBUG) Error.stackTraceLimit = 0;
    try {
      // Imported modules run first, each once, as the reference evaluates them before the main one.
      for (const unit of this.order) st.scopeFor(unit.owner).runAll();
      const mod = st.scopeFor(this.main.owner);
      mod.runAll();
      // Config expression statements come first in the output, then the variables.
      const exports = new Map<string, Value>();
      let stream: Value[] | undefined;
      if (mod.exprOutputs.length > 0) {
        // Variables alone (the common case) have distinct names: nothing to check or unify.
        checkOutputParts([...mod.exprOutputs, ...this.exportedParts(mod)]);
        for (const { value: extra } of mod.exprOutputs) {
          if (!isConfig(extra)) continue;
          mergeInto(exports, extra instanceof SchemaInstance ? extra.attrs : extra.entries, st);
        }
      }
      // Copying a Map goes through its iterator even when it is empty (the common case).
      const withHidden = exports.size === 0 ? new Map<string, Value>() : new Map(exports);
      for (const name of this.main.exportOrder) {
        const v = mod.value(name);
        if (!isExportable(v)) continue;
        mergeEntry(withHidden, name, v, st);
        if (!name.startsWith('_')) mergeEntry(exports, name, v, st);
      }
      const success: RunSuccess = { ok: true, exports, printed: printed(), withHidden };
      // A top-level list is printed as a YAML stream when it is the module's only output.
      const only = mod.exprOutputs.length === 1 ? mod.exprOutputs[0]!.value : undefined;
      if (exports.size === 0 && Array.isArray(only)) stream = only;
      // A lone scalar is the whole output, as the reference prints it.
      else if (exports.size === 0 && only !== undefined && !isConfig(only) && !(only instanceof KFunction)) stream = [only];
      if (stream) success.stream = stream;
      if (st.outputStream) {
        success.stream = [...st.outputStream.docs];
        success.streamText = st.outputStream.text;
      }
      if (st.logEntries.length > 0) success.logs = st.logEntries;
      return success;
    } catch (e) {
      const failure: RunFailure = { ok: false, diagnostic: toDiagnostic(e, st), printed: printed() };
      if (st.logEntries.length > 0) failure.logs = st.logEntries;
      return failure;
    } finally {
      Error.stackTraceLimit = savedStackLimit;
      // Instances hold request data: do not keep them alive after the run.
      for (const s of this.schemas) s.instances.length = 0;
    }
  }
}

function mergeInto(target: Map<string, Value>, entries: Iterable<[string, Value]>, st: RunState): void {
  for (const [k, v] of entries) mergeEntry(target, k, v, st);
}

function mergeEntry(target: Map<string, Value>, key: string, value: Value, st: RunState): void {
  const prev = target.get(key);
  target.set(key, prev === undefined ? value : unionValues(prev, value, st, undefined, true));
}

/**
 * A compile-time code (E2xxx) raised while running: the checker found nothing wrong where the
 * reference's checker finds nothing either (a value only known at run time), so this is what the
 * reference reports then, an EvaluationError.
 */
function atRunTime(d: Diagnostic): Diagnostic {
  if (!d.code.startsWith('E2')) return d;
  const { title: _title, ...rest } = d;
  return { ...rest, code: 'E3M38' };
}

function toDiagnostic(e: unknown, st: RunState): Diagnostic {
  if (e instanceof KclError) {
    const d = atRunTime(e.diagnostic);
    if (d.span) return d;
    const where = st.here();
    return where ? { ...d, span: where } : d;
  }
  if (e instanceof RangeError && /call stack/i.test(e.message)) {
    return diagnostic('K9002', 'maximum recursion depth exceeded', st.here());
  }
  return internalDiagnostic(e);
}
