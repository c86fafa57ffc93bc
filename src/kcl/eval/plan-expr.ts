/**
 * Planning of expressions into closures. Each case is decided once here; the closures it
 * returns do only the work of their node at run time.
 */
import type * as ast from '../ast.js';
import type { Span } from '../span.js';
import { parseIntLiteral } from '../int64.js';
import { KDict, KFloat, KFunction, KModule, KUnit, SchemaInstance, UNDEFINED, isSchemaType, truthy, typeName, type CallArgs, type Value } from '../value.js';
import { containsValue, compareValues, makeUnit, typedDisplay, valuesEqual } from './interop.js';
import { compileError, evalError, typeError } from './errors.js';
import type { Env, Ev } from './env.js';
import { chargeWholeString, NO_METER, stepsForBytes, type Meter, type TextBudget } from '../budget.js';
import { binaryOp, unaryOp } from './operators.js';
import { planConfig, planList } from './plan-config.js';
import { planDictComp, planListComp, planQuant } from './plan-comp.js';
import { callValue, planLambda } from './plan-lambda.js';
import type { ImportedModule, Planner } from './planner.js';
import { SchemaType } from './schema.js';
import { NO_MATCH } from './types.js';


export function planExprNode(p: Planner, node: ast.Expr): Ev {
  switch (node.kind) {
    case 'Identifier':
      return p.name(node.name, node.span);
    case 'NumberLit': {
      const v = numberValue(p, node);
      return () => v;
    }
    case 'StringLit': {
      const v = node.value;
      return () => v;
    }
    case 'NameConstantLit': {
      const v = node.value === 'True' ? true : node.value === 'False' ? false : node.value === 'None' ? null : UNDEFINED;
      return () => v;
    }
    case 'JoinedString':
      return planJoinedString(p, node);
    case 'ParenExpr':
      return p.expr(node.expr);
    case 'SelectorExpr':
      return planSelector(p, node);
    case 'SubscriptExpr':
      return planSubscript(p, node);
    case 'CallExpr':
      return planCall(p, node);
    case 'UnaryExpr': {
      const operand = p.expr(node.operand);
      const op = node.op;
      const span = node.span;
      if (op === 'not') return (env) => !truthy(operand(env));
      return (env) => unaryOp(op, operand(env), span);
    }
    case 'BinaryExpr':
      return planBinary(p, node);
    case 'CompareExpr':
      return planCompare(p, node);
    case 'IfExpr': {
      const cond = p.expr(node.cond);
      const body = p.expr(node.body);
      const orelse = p.expr(node.orelse);
      return (env) => (truthy(cond(env)) ? body(env) : orelse(env));
    }
    case 'ListExpr':
      return planList(p, node.elts, node.span);
    case 'ConfigExpr':
      return planConfig(p, node);
    case 'ListComp':
      return planListComp(p, node);
    case 'DictComp':
      return planDictComp(p, node);
    case 'QuantExpr':
      return planQuant(p, node);
    case 'LambdaExpr':
      return planLambda(p, node);
    case 'SchemaExpr':
      return planSchemaExpr(p, node);
    case 'StarredExpr':
    case 'ListIfItemExpr':
    case 'ConfigIfEntryExpr': {
      p.report('E1001', `${node.kind} is not allowed here`, node.span);
      return () => UNDEFINED;
    }
    case 'MissingExpr': {
      const span = node.span;
      return () => {
        throw compileError('invalid expression', span);
      };
    }
  }
}

function numberValue(p: Planner, node: ast.NumberLit): Value {
  if (node.suffix) return makeUnit(node.value, node.suffix);
  if (node.isFloat) return new KFloat(node.value);
  if (Number.isSafeInteger(node.value)) return node.value;
  // Beyond 2^53 the lexer's number is rounded: the exact value comes from the source text.
  const exact = parseIntLiteral(node.raw);
  if (exact === undefined) p.report('E1001', `expected one of ["int"] got ${node.raw}`, node.span);
  return exact ?? 0;
}

function planJoinedString(p: Planner, node: ast.JoinedString): Ev {
  const host = p.host;
  type Piece = string | ((env: Env, budget: TextBudget) => string);
  const parts = node.parts.map((part): Piece => {
    if (typeof part === 'string') return part;
    const value = p.expr(part.value);
    const spec = part.formatSpec;
    if (spec) return (env, budget) => host.formatSpec(value(env), spec, budget);
    return (env, budget) => host.display(value(env), budget);
  });
  const span = node.span;
  return (env) => {
    // Measured while it is built: `"${huge_list}"` stops at the limit, before the text exists.
    const budget = env.st.textBudget('string', span);
    let out = '';
    for (const part of parts) {
      if (typeof part === 'string') {
        budget.add(part.length);
        out += part;
      } else {
        out += part(env, budget);
      }
    }
    env.st.allocate(out.length, span);
    return out;
  };
}

/** `value.attr` on every kind of value. Exported for assignment targets and `instances()`. */
export function selectAttr(p: Planner, value: Value, attr: string, span: Span): Value {
  if (value instanceof KDict) {
    const v = value.get(attr);
    return v === undefined ? UNDEFINED : v;
  }
  if (value instanceof SchemaInstance) {
    const v = value.attrs.get(attr);
    if (v !== undefined) return v;
    const schema = value.schema as SchemaType;
    if (!schema.attrs.has(attr) && !schema.signature()) {
      throw typeError(`attribute '${attr}' not found in '${schema.name}'`, span);
    }
    return UNDEFINED;
  }
  if (typeof value === 'string') {
    const m = p.host.stringMethod(value, attr);
    if (m) return m;
    throw typeError(`attribute '${attr}' not found in 'str'`, span);
  }
  if (value instanceof KModule) {
    const m = value.members.get(attr);
    if (m !== undefined) return m;
    throw compileError(`attribute '${attr}' not found in module '${value.name}'`, span);
  }
  if (isSchemaType(value) && attr === 'instances') {
    const schema = value as SchemaType;
    return new KFunction('instances', () => schema.instances.slice());
  }
  if (value === null || value === UNDEFINED) {
    throw evalError(`invalid value '${typeName(value)}' to load attribute '${attr}'`, span);
  }
  throw typeError(`attribute '${attr}' not found in '${typeName(value)}'`, span);
}

function planSelector(p: Planner, node: ast.SelectorExpr): Ev {
  if (node.value.kind === 'Identifier') {
    const imported = p.importedModule(node.value.name);
    if (imported) return planModuleMember(p, imported, node.attr, node.span);
  }
  const value = p.expr(node.value);
  const attr = node.attr;
  const span = node.span;
  const q = node.hasQuestion;
  return (env) => {
    const v = value(env);
    if (q && !truthy(v)) return null;
    if (v instanceof KDict) {
      const r = v.get(attr);
      return r === undefined ? UNDEFINED : r;
    }
    return selectAttr(p, v, attr, span);
  };
}

/**
 * `mod.name` on an imported KCL module: checked at compile time as the reference's resolver
 * does (private `_` names are not reachable), read from the module's scope in the run.
 */
function planModuleMember(p: Planner, imported: ImportedModule, attr: string, span: Span): Ev {
  const path = imported.owner.pkgpath;
  if (attr.startsWith('_')) p.report('E2L23', `cannot reference private member '${attr}' from module '${path}'`, span);
  else if (!imported.members.has(attr)) p.report('E2G22', `attribute '${attr}' not found in 'module '${path}''`, span);
  const owner = imported.owner;
  return (env) => env.st.scopeFor(owner).get(attr);
}

function normIndex(i: number, len: number): number {
  return i < 0 ? i + len : i;
}

export function subscriptValue(v: Value, index: Value, span: Span, meter: Meter = NO_METER): Value {
  if (Array.isArray(v)) {
    const i = toIndex(index, span);
    const j = normIndex(i, v.length);
    if (j < 0 || j >= v.length) throw evalError(`list index out of range: ${i}`, span);
    return v[j]!;
  }
  if (v instanceof KDict) {
    if (typeof index !== 'string') throw typeError(`dict key must be str, got '${typeName(index)}'`, span);
    // A long key is hashed and compared in full by the lookup.
    chargeWholeString(meter, index.length);
    const r = v.get(index);
    return r === undefined ? UNDEFINED : r;
  }
  if (v instanceof SchemaInstance) {
    if (typeof index !== 'string') throw typeError(`schema key must be str, got '${typeName(index)}'`, span);
    const r = v.attrs.get(index);
    return r === undefined ? UNDEFINED : r;
  }
  if (typeof v === 'string') {
    meter.step(stepsForBytes(v.length));
    const chars = Array.from(v);
    const i = toIndex(index, span);
    const j = normIndex(i, chars.length);
    if (j < 0 || j >= chars.length) throw evalError(`string index out of range: ${i}`, span);
    return chars[j]!;
  }
  if (v === null || v === UNDEFINED) {
    throw evalError(`'${typeName(v)}' object is not subscriptable with '${typeName(index)}'`, span);
  }
  throw typeError(`'${typeName(v)}' object is not subscriptable`, span);
}

function toIndex(index: Value, span: Span): number {
  if (typeof index === 'number') return index;
  // Beyond 2^53 an index is out of range of any list: its approximate value says so.
  if (typeof index === 'bigint') return Number(index);
  if (typeof index === 'boolean') return index ? 1 : 0;
  throw typeError(`list indices must be integers, not '${typeName(index)}'`, span);
}

function sliceBound(v: Value, span: Span): number | undefined {
  if (v === null || v === UNDEFINED) return undefined;
  return toIndex(v, span);
}

/** Python slicing: negative indices and steps, bounds clamped. */
export function sliceItems<T>(items: T[], lowerV: Value, upperV: Value, stepV: Value, span: Span): T[] {
  const len = items.length;
  const step = sliceBound(stepV, span) ?? 1;
  if (step === 0) throw evalError('slice step cannot be zero', span);
  let lower = sliceBound(lowerV, span);
  let upper = sliceBound(upperV, span);
  const out: T[] = [];
  if (step > 0) {
    lower = lower === undefined ? 0 : lower < 0 ? Math.max(0, lower + len) : Math.min(lower, len);
    upper = upper === undefined ? len : upper < 0 ? Math.max(0, upper + len) : Math.min(upper, len);
    for (let i = lower; i < upper; i += step) out.push(items[i]!);
  } else {
    lower = lower === undefined ? len - 1 : lower < 0 ? Math.max(-1, lower + len) : Math.min(lower, len - 1);
    upper = upper === undefined ? -1 : upper < 0 ? Math.max(-1, upper + len) : Math.min(upper, len - 1);
    for (let i = lower; i > upper; i += step) out.push(items[i]!);
  }
  return out;
}

function planSubscript(p: Planner, node: ast.SubscriptExpr): Ev {
  const value = p.expr(node.value);
  const span = node.span;
  const q = node.hasQuestion;
  if (node.isSlice) {
    const none: Ev = () => UNDEFINED;
    const lower = node.lower ? p.expr(node.lower) : none;
    const upper = node.upper ? p.expr(node.upper) : none;
    const step = node.step ? p.expr(node.step) : none;
    return (env) => {
      const v = value(env);
      if (q && !truthy(v)) return null;
      if (Array.isArray(v)) {
        const out = sliceItems(v, lower(env), upper(env), step(env), span);
        env.st.checkSize(out.length, span);
        env.st.step(out.length);
        return out;
      }
      if (typeof v === 'string') {
        env.st.step(stepsForBytes(v.length));
        const out = sliceItems(Array.from(v), lower(env), upper(env), step(env), span).join('');
        env.st.checkBytes(out.length, span);
        return out;
      }
      throw typeError(`'${typeName(v)}' object is not sliceable`, span);
    };
  }
  const index = node.index ? p.expr(node.index) : () => UNDEFINED;
  return (env) => {
    const v = value(env);
    if (q && !truthy(v)) return null;
    return subscriptValue(v, index(env), span, env.st);
  };
}

/** The keywords of every call that passes none: callees only read them (CallArgs.kwargs). */
const NO_KWARGS: ReadonlyMap<string, Value> = new Map();

/** Arguments of a call, with `*list` and `**dict` spread. */
export function planArgs(p: Planner, args: readonly ast.Expr[], keywords: readonly ast.Keyword[]): (env: Env) => CallArgs {
  const argEvs = args.map((a) => (a.kind === 'StarredExpr' ? { star: true, ev: p.expr(a.value) } : { star: false, ev: p.expr(a) }));
  const kwEvs = keywords.map((k) => ({ name: k.name, ev: p.expr(k.value) }));
  return (env) => {
    const out: Value[] = [];
    for (const a of argEvs) {
      const v = a.ev(env);
      if (a.star && Array.isArray(v)) out.push(...v);
      else out.push(v);
    }
    if (kwEvs.length === 0) return { args: out, kwargs: NO_KWARGS };
    const kwargs = new Map<string, Value>();
    for (const k of kwEvs) kwargs.set(k.name, k.ev(env));
    return { args: out, kwargs };
  };
}

function planCall(p: Planner, node: ast.CallExpr): Ev {
  const func = p.expr(node.func);
  checkRegexLiteral(p, node);
  const args = planArgs(p, node.args, node.keywords);
  const span = node.span;
  return (env) => {
    const f = func(env);
    const a = args(env);
    return callValue(env, f, a, span);
  };
}

/** The position of the pattern among the parameters of each `regex` function. */
const REGEX_PATTERN_ARG: Readonly<Record<string, number>> = { match: 1, search: 1, replace: 1, findall: 1, split: 1, compile: 0 };

/**
 * A literal pattern the linear-time engine cannot run is reported when the policy compiles
 * (K9006 at the literal), so `kclguard check` and the KCLRun status show it before any request.
 */
function checkRegexLiteral(p: Planner, node: ast.CallExpr): void {
  const f = node.func;
  if (f.kind !== 'SelectorExpr' || f.value.kind !== 'Identifier') return;
  const name = f.value.name;
  if (p.isLocal(name) || p.modules.get(name)?.name !== 'regex') return;
  const at = REGEX_PATTERN_ARG[f.attr];
  if (at === undefined) return;
  const arg = node.args[at] ?? node.keywords.find((k) => k.name === 'pattern')?.value;
  if (arg?.kind !== 'StringLit') return;
  const why = p.host.unsupportedPattern(arg.value);
  if (why !== undefined) p.report('K9006', `regular expression '${arg.value.slice(0, 200)}': ${why}`, arg.span);
}

function planBinary(p: Planner, node: ast.BinaryExpr): Ev {
  const left = p.expr(node.left);
  const span = node.span;
  const op = node.op;
  if (op === 'as') return planAs(p, node, left);
  const right = p.expr(node.right);
  switch (op) {
    case 'and':
      return (env) => {
        const l = left(env);
        return truthy(l) ? right(env) : l;
      };
    case 'or':
      return (env) => {
        const l = left(env);
        return truthy(l) ? l : right(env);
      };
    default:
      return (env) => binaryOp(op, left(env), right(env), env.st, span);
  }
}

function typeNode(expr: ast.Expr): ast.Type | undefined {
  const span = expr.span;
  let name: string | undefined;
  if (expr.kind === 'Identifier') name = expr.name;
  else if (expr.kind === 'SelectorExpr' && expr.value.kind === 'Identifier') name = `${expr.value.name}.${expr.attr}`;
  if (name === undefined) return undefined;
  if (name === 'int' || name === 'float' || name === 'str' || name === 'bool') return { kind: 'BasicType', name, span };
  if (name === 'any') return { kind: 'AnyType', span };
  return { kind: 'NamedType', name, span };
}

function planAs(p: Planner, node: ast.BinaryExpr, left: Ev): Ev {
  const tn = typeNode(node.right);
  const span = node.span;
  // The checker refuses any other right side before planning.
  if (!tn) return left;
  const t = p.type(tn);
  const targetSchema = tn.kind === 'NamedType' ? p.lookupSchema(tn.name) : undefined;
  return (env) => {
    const v = left(env);
    let r = t.check(v, env, span);
    // The reference's checker rejects converting an instance up to one of its parents.
    if (targetSchema && v instanceof SchemaInstance && v.schema !== targetSchema) r = NO_MATCH;
    if (r === NO_MATCH) {
      throw typeError(`Conversion of type '${typeName(v)}' to type '${t.name}' may be a mistake because neither type sufficiently overlaps with the other`, span);
    }
    return r;
  };
}

/**
 * `is` / `is not`: at run time the reference compares values, as `==` does (`1 is 1.0` is
 * True); which operand types it accepts is the checker's business.
 */
export function isSame(a: Value, b: Value, meter: Meter): boolean {
  return valuesEqual(a, b, meter);
}

/**
 * Two strings or two lists are ordered at run time (by code point, element by element), as the
 * reference does: its type checker refuses them only where both operands' static types are
 * known to be strings or lists (src/kcl/check/operators.ts, compareType). An operand typed
 * `any` (an option, a lambda's untyped parameter) reaches the comparison. Unit numbers never
 * order.
 */
function checkOrderable(op: string, a: Value, b: Value, span: Span): void {
  if (a instanceof KUnit || b instanceof KUnit) {
    throw typeError(`unsupported operand type(s) for ${op}: '${typedDisplay(a)}' and '${typedDisplay(b)}'`, span);
  }
}

export function compareOp(op: ast.CmpOp, a: Value, b: Value, span: Span, meter: Meter): boolean {
  if (op === '<' || op === '<=' || op === '>' || op === '>=') checkOrderable(op, a, b, span);
  switch (op) {
    case '==':
      return valuesEqual(a, b, meter);
    case '!=':
      return !valuesEqual(a, b, meter);
    case '<':
      return compareValues(a, b, '<', span, meter) < 0;
    case '<=':
      return compareValues(a, b, '<=', span, meter) <= 0;
    case '>':
      return compareValues(a, b, '>', span, meter) > 0;
    case '>=':
      return compareValues(a, b, '>=', span, meter) >= 0;
    case 'in':
      return containsValue(b, a, span, meter);
    case 'not in':
      return !containsValue(b, a, span, meter);
    case 'is':
      return isSame(a, b, meter);
    case 'is not':
      return !isSame(a, b, meter);
  }
}

function planCompare(p: Planner, node: ast.CompareExpr): Ev {
  const left = p.expr(node.left);
  const ops = node.ops;
  const rights = node.comparators.map((c) => p.expr(c));
  const span = node.span;
  if (ops.length === 1) {
    const op = ops[0]!;
    const right = rights[0]!;
    if (op === '==') return (env) => valuesEqual(left(env), right(env), env.st);
    if (op === '!=') return (env) => !valuesEqual(left(env), right(env), env.st);
    return (env) => compareOp(op, left(env), right(env), span, env.st);
  }
  return (env) => {
    let a = left(env);
    for (let i = 0; i < ops.length; i++) {
      const b = rights[i]!(env);
      if (!compareOp(ops[i]!, a, b, span, env.st)) return false;
      a = b;
    }
    return true;
  };
}

function planSchemaExpr(p: Planner, node: ast.SchemaExpr): Ev {
  const schemaEv = p.expr(node.name);
  const config = planConfig(p, node.config);
  const args = planArgs(p, node.args, node.keywords);
  const span = node.span;
  return (env) => {
    const schema = schemaEv(env);
    const cfg = config(env) as KDict;
    if (schema instanceof SchemaType) {
      const a = args(env);
      return schema.instantiate(env, cfg, a.args, a.kwargs, span);
    }
    // `value {config}` on any other value unions the two, as the reference does (a config
    // value merges, None and Undefined give the config, anything else is a type error).
    return binaryOp('|', schema, cfg, env.st, span);
  };
}
