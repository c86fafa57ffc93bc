/**
 * Statements, planned in one of three modes:
 *  - 'module': top-level; names go to the lazy module scope;
 *  - 'local': a lambda body; names go to the lambda's frame, and the value of the last
 *    expression statement is the lambda's result;
 *  - 'schema': a schema body; names are attributes of the instance being built, and the
 *    instance's config has the last word on each attribute.
 */
import type * as ast from '../ast.js';
import { KclError, kclError } from '../diagnostics.js';
import type { Span } from '../span.js';
import { KDict, SchemaInstance, UNDEFINED, truthy, typeName, type Value } from '../value.js';
import type { Env, Ev } from './env.js';
import { evalError, locatedError, locatedErrors, typeError } from './errors.js';
import { binaryOp } from './operators.js';
import { selectAttr, subscriptValue } from './plan-expr.js';
import { planLambda } from './plan-lambda.js';
import type { Planner } from './planner.js';
import { applyConfig, SchemaEnv, type Exec } from './schema.js';
import { unionValues } from './union.js';
import { checkOrThrow, type RuntimeType } from './types.js';

export type StmtMode = 'module' | 'local' | 'schema';

/** Names a statement list assigns (including inside if blocks). */
export function assignedNames(body: readonly (ast.Stmt | ast.SchemaAttr)[]): Set<string> {
  const out = new Set<string>();
  const visit = (s: ast.Stmt | ast.SchemaAttr): void => {
    switch (s.kind) {
      case 'AssignStmt':
        for (const t of s.targets) out.add(t.name);
        break;
      case 'AugAssignStmt':
      case 'UnificationStmt':
        out.add(s.target.name);
        break;
      case 'IfStmt':
        s.body.forEach(visit);
        s.orelse.forEach(visit);
        break;
      case 'SchemaAttr':
      case 'SchemaStmt':
      case 'RuleStmt':
      case 'TypeAliasStmt':
      case 'ImportStmt':
        out.add(s.name);
        break;
      default:
        break;
    }
  };
  body.forEach(visit);
  return out;
}


/**
 * The reference reports evaluation errors at the innermost statement (or check line) that raised them. Every
 * error raised while running is one (E3xxx): what it refuses at compile time the checker has
 * refused before the program ran, so a compile-time code met here becomes E3M38 too.
 */
export function locate(e: unknown, span: Span): unknown {
  if (!(e instanceof KclError) || locatedErrors.has(e)) return e;
  const d = e.diagnostic;
  if (d.code === 'E3M40' || !(d.code.startsWith('E3') || d.code.startsWith('E2'))) return e;
  const { title: _title, ...rest } = d;
  return locatedError(new KclError({ ...rest, code: d.code.startsWith('E2') ? 'E3M38' : d.code, span }));
}

export function planStmtNode(p: Planner, s: ast.Stmt | ast.SchemaAttr, mode: StmtMode): Exec {
  const exec = planStmtInner(p, s, mode);
  const span = s.span;
  return (env) => {
    try {
      exec(env);
    } catch (e) {
      throw locate(e, span);
    }
  };
}

function planStmtInner(p: Planner, s: ast.Stmt | ast.SchemaAttr, mode: StmtMode): Exec {
  switch (s.kind) {
    case 'ExprStmt':
      return planExprStmt(p, s, mode);
    case 'AssignStmt':
      return planAssign(p, s, mode);
    case 'AugAssignStmt':
      return planAugAssign(p, s, mode);
    case 'UnificationStmt': {
      const value = p.expr(s.value);
      const write = planWrite(p, s.target, mode, undefined);
      if (mode !== 'module') return (env) => write(env, value(env));
      // `a: S {...}` may be repeated at the top level: each one unions into the previous.
      const name = s.target.name;
      const span = s.span;
      return (env) => {
        const prev = env.mod.value(name);
        const v = value(env);
        write(env, prev === undefined ? v : unionValues(prev, v, env.st, span, true));
      };
    }
    case 'IfStmt': {
      const cond = p.expr(s.cond);
      const body = p.stmts(s.body, mode);
      const orelse = p.stmts(s.orelse, mode);
      return (env) => {
        const branch = truthy(cond(env)) ? body : orelse;
        for (const b of branch) b(env);
      };
    }
    case 'AssertStmt':
      return planAssert(p, s);
    case 'SchemaAttr':
      return planSchemaAttr(p, s);
    case 'ImportStmt':
    case 'SchemaStmt':
    case 'RuleStmt':
    case 'TypeAliasStmt':
      // Planned ahead (program.ts); their values are module constants.
      return () => undefined;
  }
}

function planExprStmt(p: Planner, s: ast.ExprStmt, mode: StmtMode): Exec {
  const exprs = s.exprs.map((e) => p.expr(e));
  if (mode === 'local') {
    return (env) => {
      let v: Value = UNDEFINED;
      for (const e of exprs) v = e(env);
      env.result = v;
    };
  }
  if (mode === 'module') {
    // The module's docstring is not output.
    if (isModuleDocstring(s)) return () => undefined;
    const span = s.span;
    return (env) => {
      for (const e of exprs) {
        const value = e(env);
        if (value !== null && value !== UNDEFINED) env.mod.exprOutputs.push({ value, span });
      }
    };
  }
  return (env) => {
    for (const e of exprs) e(env);
  };
}

/**
 * A triple-quoted string that opens the file is the module's docstring, which the reference
 * leaves out of the output; any other string statement (even after a comment) is output.
 */
function isModuleDocstring(s: ast.ExprStmt): boolean {
  const e = s.exprs.length === 1 ? s.exprs[0]! : undefined;
  return e?.kind === 'StringLit' && s.span.line === 1 && s.span.col === 1 && /^("""|''')/.test(e.raw);
}

function planAssert(p: Planner, s: ast.AssertStmt): Exec {
  const test = p.expr(s.test);
  const ifCond = s.ifCond ? p.expr(s.ifCond) : undefined;
  const msg = s.msg ? p.expr(s.msg) : undefined;
  const span = s.span;
  const display = p.host.display;
  return (env) => {
    if (ifCond && !truthy(ifCond(env))) return;
    const holds = truthy(test(env));
    // As the reference does, the message is evaluated even when the assertion holds (an error in
    // it fails the run either way); the condition comes first.
    const m = msg ? msg(env) : '';
    if (holds) return;
    throw kclError('E3M41', typeof m === 'string' ? m : display(m, env.st.textBudget('assert message', span)), span);
  };
}

type Write = (env: Env, value: Value) => void;

/** Reads a name the way the statement's mode stores it. */
function readName(p: Planner, name: string, mode: StmtMode, span: Span): Ev {
  if (mode === 'module') {
    const slot = p.globalSlots.get(name);
    return (env) => env.mod.getAt(slot, name);
  }
  return p.name(name, span);
}

/** Copy-on-write update of `root` along `path`: values shared with options are never mutated. */
function updatePath(p: Planner, root: Value, path: readonly { step: ast.TargetStep; index?: Ev }[], i: number, value: Value, env: Env): Value {
  const { step, index } = path[i]!;
  const last = i === path.length - 1;
  const key: Value = step.kind === 'attr' ? step.name : index!(env);
  const child = (cur: Value): Value => (last ? value : updatePath(p, cur, path, i + 1, value, env));
  // Each level copied costs its size in steps and allocation (a loop of assignments into a
  // huge dict would otherwise copy it for free each time).
  const size = root instanceof KDict ? root.size : root instanceof SchemaInstance ? root.attrs.size : Array.isArray(root) ? root.length : 0;
  env.st.checkSize(size, step.span);
  env.st.step(size);
  if (root instanceof KDict) {
    if (typeof key !== 'string') throw typeError(`dict key must be str`, step.span);
    const out = new KDict(new Map(root.entries));
    out.set(key, child(root.get(key) ?? UNDEFINED));
    return out;
  }
  if (root instanceof SchemaInstance) {
    if (typeof key !== 'string') throw typeError(`schema key must be str`, step.span);
    const attrs = new Map(root.attrs);
    attrs.set(key, child(root.attrs.get(key) ?? UNDEFINED));
    return new SchemaInstance(root.schema, attrs);
  }
  if (Array.isArray(root) && (typeof key === 'number' || typeof key === 'bigint')) {
    const j = Number(key) < 0 ? Number(key) + root.length : Number(key);
    if (j < 0 || j >= root.length) throw evalError(`list assignment index out of range: ${key}`, step.span);
    const out = root.slice();
    out[j] = child(root[j]!);
    return out;
  }
  if (root === UNDEFINED || root === null) {
    throw evalError(`failed to update '${String(key)}': the value it belongs to is ${typeName(root)}`, step.span);
  }
  throw typeError(`'${typeName(root)}' object does not support item assignment`, step.span);
}

function planWrite(p: Planner, target: ast.Target, mode: StmtMode, type: RuntimeType | undefined, valueIsStatic = true): Write {
  const name = target.name;
  const span = target.span;
  const slot = mode === 'local' ? p.localSlot(name) : mode === 'module' ? p.globalSlots.get(name) : undefined;
  const store: Write =
    mode === 'module'
      ? (env, v) => env.mod.setAt(slot, name, v)
      : mode === 'schema'
        ? (env, v) => (env as SchemaEnv).attrs.set(name, v)
        : (env, v) => {
            env.slots[slot!] = v;
          };
  if (target.path.length === 0) {
    if (mode === 'schema') {
      return (env, v) => {
        let value = applyConfig(env, name, v, span);
        const t = type ?? declaredType(env, name);
        if (t) value = checkOrThrow(t, value, env, span);
        (env as SchemaEnv).attrs.set(name, value);
      };
    }
    if (type) return (env, v) => store(env, checkOrThrow(type, v, env, span));
    return store;
  }
  const path = target.path.map((step) => ({ step, index: step.kind === 'index' ? p.expr(step.index) : undefined }));
  const read = readName(p, name, mode, span);
  return (env, v) => store(env, updatePath(p, read(env), path, 0, v, env));
}

function declaredType(env: Env, name: string): RuntimeType | undefined {
  return env instanceof SchemaEnv ? env.schema.attrs.get(name)?.type : undefined;
}

function planAssign(p: Planner, s: ast.AssignStmt, mode: StmtMode): Exec {
  // A lambda bound to a name takes that name, for error messages.
  const value = s.value.kind === 'LambdaExpr' ? planLambda(p, s.value, s.targets[0]!.name) : p.expr(s.value);
  const type = s.typeAnnotation ? p.type(s.typeAnnotation) : undefined;
  const writes = s.targets.map((t) => planWrite(p, t, mode, type));
  if (mode === 'local') {
    // A lambda's result is its last statement's value, an assignment's included.
    return (env) => {
      const v = value(env);
      for (const w of writes) w(env, v);
      env.result = v;
    };
  }
  if (writes.length === 1) {
    const w = writes[0]!;
    return (env) => w(env, value(env));
  }
  return (env) => {
    const v = value(env);
    for (const w of writes) w(env, v);
  };
}

const AUG_TO_BIN: Record<ast.AugOp, ast.BinOp> = {
  '+=': '+', '-=': '-', '*=': '*', '/=': '/', '//=': '//', '%=': '%', '**=': '**',
  '<<=': '<<', '>>=': '>>', '&=': '&', '|=': '|', '^=': '^',
};

function planAugAssign(p: Planner, s: ast.AugAssignStmt, mode: StmtMode): Exec {
  const value = p.expr(s.value);
  const op = AUG_TO_BIN[s.op];
  const span = s.span;
  const readTarget = planTargetRead(p, s.target, mode);
  const write = planWrite(p, s.target, mode, undefined);
  if (mode === 'local') {
    return (env) => {
      const v = binaryOp(op, readTarget(env), value(env), env.st, span);
      write(env, v);
      env.result = v;
    };
  }
  return (env) => write(env, binaryOp(op, readTarget(env), value(env), env.st, span));
}

function planTargetRead(p: Planner, target: ast.Target, mode: StmtMode): Ev {
  const base = readName(p, target.name, mode, target.span);
  const steps = target.path.map((step) => ({ step, index: step.kind === 'index' ? p.expr(step.index) : undefined }));
  return (env) => {
    let v = base(env);
    for (const { step, index } of steps) {
      v = step.kind === 'attr' ? selectAttr(p, v, step.name, step.span) : subscriptValue(v, index!(env), step.span);
    }
    return v;
  };
}

function planSchemaAttr(p: Planner, s: ast.SchemaAttr): Exec {
  const name = s.name;
  const span = s.span;
  const type = p.type(s.type);
  const dflt = s.value ? p.expr(s.value) : undefined;
  return (env) => {
    let v: Value;
    if (dflt) v = dflt(env);
    else {
      const existing = env.vars.get(name);
      v = existing === undefined ? UNDEFINED : existing;
    }
    v = applyConfig(env, name, v, span);
    (env as SchemaEnv).attrs.set(name, checkOrThrow(type, v, env, span));
  };
}
