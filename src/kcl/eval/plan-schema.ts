/**
 * Turns `schema` and `rule` statements into SchemaTypes: parent and mixins resolved, attribute
 * declarations collected in output order (parent first), body and checks planned into
 * closures. Done once per compile; SchemaTypes are constants of the program.
 */
import type * as ast from '../ast.js';
import { diagnostic, KclError } from '../diagnostics.js';
import { truthy, type Value } from '../value.js';
import type { Planner } from './planner.js';
import { planParams } from './plan-lambda.js';
import { assignedNames, locate } from './plan-stmt.js';
import { SchemaEnv, SchemaType, type PlannedCheck } from './schema.js';
import type { Env } from './env.js';

export function declareSchema(p: Planner, s: ast.SchemaStmt | ast.RuleStmt): SchemaType {
  // Schema and rule names are unique keys of their module, as in the reference's resolver.
  if (p.schemas.has(s.name)) p.report('E2L28', `Unique key error name '${s.name}'`, s.span);
  const isSchema = s.kind === 'SchemaStmt';
  // A protocol's name is checked by the checker, in the reference's order (check/schemas.ts).
  const t = new SchemaType(s.name, s.span, isSchema && s.isMixin, isSchema && s.isProtocol, !isSchema, p.owner);
  p.schemas.set(s.name, t);
  return t;
}

/** The instance being built: the environment itself, or the one a per-key check runs under. */
function schemaEnvOf(env: Env): SchemaEnv | undefined {
  for (let e: Env | null = env; e; e = e.parent) if (e instanceof SchemaEnv) return e;
  return undefined;
}

function planChecks(p: Planner, checks: readonly ast.CheckExpr[]): PlannedCheck[] {
  const display = p.host.display;
  return checks.map((c) => {
    const test = p.expr(c.test);
    const ifCond = c.ifCond ? p.expr(c.ifCond) : undefined;
    const msg = c.msg ? p.expr(c.msg) : undefined;
    const span = c.span;
    return {
      run(env) {
        let m: Value | undefined;
        try {
          if (ifCond && !truthy(ifCond(env))) return;
          if (truthy(test(env))) return;
          m = msg ? msg(env) : undefined;
        } catch (e) {
          // An error evaluating a check line is reported there, as the reference does.
          throw locate(e, span);
        }
        const text = m === undefined ? '' : typeof m === 'string' ? m : display(m, env.st.textBudget('check message', span));
        // Like the reference, point at the instantiation (the check line when there is none)
        // and name the failed condition; the message is the check's own, so an admission
        // denial can show it as is.
        const where = schemaEnvOf(env)?.span ?? span;
        throw new KclError({
          code: 'E3M40',
          message: text || 'Check failed on the condition',
          span: where,
          related: [{ message: `Check failed on the condition${text ? `: ${text}` : ''}`, span }],
        });
      },
    };
  });
}

/**
 * A schema named as a parent, a mixin or a rule's parent. A name that is defined but holds no
 * schema (a variable, a function, a module) is an IllegalInheritError (E2D34), as in the
 * reference; a name defined nowhere is a CompileError (E2L23).
 */
function lookupBase(p: Planner, id: ast.Identifier, illegal: string): SchemaType | undefined {
  const t = p.lookupSchema(id.name);
  if (t) return t;
  const root = id.name.split('.')[0]!;
  if (p.globals.has(root) || p.host.builtin(root) !== undefined) p.report('E2D34', `${illegal}, got '${id.name}'`, id.span);
  else p.report('E2L23', `name '${root}' is not defined`, id.span);
  return undefined;
}

const SCHEMA_PARENT = 'invalid schema inherit object type, expect schema';

/** A schema's parent must be a schema: not a mixin or a protocol (E2D34), as in the reference. */
function lookupParent(p: Planner, id: ast.Identifier | undefined): SchemaType | undefined {
  if (!id) return undefined;
  const t = lookupBase(p, id, SCHEMA_PARENT);
  if (t && (t.isMixin || t.isProtocol)) {
    p.report('E2D34', `${SCHEMA_PARENT}, got '${id.name}'`, id.span);
    return undefined;
  }
  return t;
}

/** A mixin must be named `...Mixin` (E1001 NameError) and be one (E2D34), reported in that order. */
function lookupMixin(p: Planner, id: ast.Identifier): SchemaType | undefined {
  if (!id.name.endsWith('Mixin')) {
    p.diagnostics.push({ ...diagnostic('E1001', `a valid mixin name should end with 'Mixin', got '${id.name}'`, id.span), title: 'NameError' });
  }
  const t = lookupBase(p, id, 'illegal schema mixin object type, expected mixin');
  if (t && !t.isMixin) p.report('E2D34', `illegal schema mixin object type, expected mixin, got '${id.name}'`, id.span);
  return t?.isMixin ? t : undefined;
}

/** The decorators the reference knows; any other is a compile error there too. */
const KNOWN_DECORATORS = new Set(['deprecated', 'info']);

function checkDecorators(p: Planner, decorators: readonly ast.Decorator[]): void {
  for (const d of decorators) {
    if (!KNOWN_DECORATORS.has(d.name)) p.report('E2L23', `UnKnown decorator ${d.name}`, d.span);
  }
}

/**
 * A rule's parents must be rules. Those that are come back, leaving out any that leads back to
 * `rule` (a cycle, reported by fillOrder) so running the checks can never loop.
 */
function ruleParents(p: Planner, s: ast.RuleStmt, rule: SchemaType): SchemaType[] {
  const out: SchemaType[] = [];
  for (const id of s.parents) {
    const t = lookupBase(p, id, 'illegal rule type');
    if (t && !t.isRule) p.report('E2D34', `illegal rule type '${id.name}'`, id.span);
    else if (t && !leadsTo(t, rule)) out.push(t);
  }
  return out;
}

function leadsTo(from: SchemaType, to: SchemaType, seen = new Set<SchemaType>()): boolean {
  if (from === to) return true;
  if (seen.has(from)) return false;
  seen.add(from);
  return from.ruleParents.some((r) => leadsTo(r, to, seen));
}

/** Fills in a declared SchemaType. Parents are filled first (callers order by `fillOrder`). */
export function fillSchema(p: Planner, s: ast.SchemaStmt | ast.RuleStmt, t: SchemaType): void {
  checkDecorators(p, s.decorators);
  if (s.kind === 'RuleStmt') {
    t.ruleParents = ruleParents(p, s, t);
    const names = new Set(s.args.map((a) => a.name));
    p.withScope({ names, dynamic: true, layout: undefined }, () => {
      t.params = planParams(p, s.args);
      t.checks = planChecks(p, s.checks);
    });
    return;
  }
  t.parent = lookupParent(p, s.parentName);
  for (let a = t.parent; a; a = a.parent) {
    if (a === t) {
      // Only `schema B(B)` gets here (the checker refuses longer cycles): it fails when used.
      t.parent = undefined;
      t.inheritsItself = true;
      break;
    }
  }
  t.mixins = s.mixins.map((m) => lookupMixin(p, m)).filter((m): m is SchemaType => m !== undefined);
  const names = new Set<string>(s.args.map((a) => a.name));
  for (const n of assignedNames(s.body)) names.add(n);
  for (const base of [t.parent, ...t.mixins]) {
    if (!base) continue;
    for (const n of base.attrs.keys()) names.add(n);
    for (const b of base.flatBody()) for (const n of b.names) names.add(n);
  }
  if (s.indexSignature?.keyName) names.add(s.indexSignature.keyName);
  // Names are resolved statically (a typo in a check is a compile error), except in mixins and
  // protocols, whose bodies read attributes of the schema they are mixed into.
  const dynamic = s.isMixin || s.isProtocol;
  for (const item of s.body) {
    if (item.kind === 'SchemaAttr') checkDecorators(p, item.decorators);
  }
  p.withScope({ names, dynamic, layout: undefined }, () => {
    t.params = planParams(p, s.args);
    if (t.parent) for (const [k, d] of t.parent.attrs) t.attrs.set(k, d);
    for (const item of s.body) {
      if (item.kind === 'SchemaAttr') {
        const inherited = t.parent?.attrs.get(item.name);
        const type = p.type(item.type);
        if (inherited && inherited.type.name !== type.name && inherited.type.name !== 'any') {
          p.report('E2G22', `can't change schema field type of '${item.name}' from ${inherited.type.name} to ${type.name}`, item.span);
        }
        t.attrs.set(item.name, { name: item.name, optional: item.optional, type: p.type(item.type), span: item.span });
      }
    }
    for (const m of t.mixins) for (const [k, d] of m.attrs) if (!t.attrs.has(k)) t.attrs.set(k, d);
    t.body = s.body.map((item) => ({ exec: p.stmts([item], 'schema')[0]!, names: [...assignedNames([item])] }));
    t.checks = planChecks(p, s.checks);
    if (s.indexSignature) {
      t.indexSignature = {
        keyName: s.indexSignature.keyName,
        keyType: p.type(s.indexSignature.keyType),
        valueType: p.type(s.indexSignature.valueType),
      };
    }
  });
}

/** Schemas ordered so a parent (or mixin) is filled before its children; cycles are reported. */
export function fillOrder(p: Planner, stmts: readonly (ast.SchemaStmt | ast.RuleStmt)[]): (ast.SchemaStmt | ast.RuleStmt)[] {
  const byName = new Map(stmts.map((s) => [s.name, s]));
  const out: (ast.SchemaStmt | ast.RuleStmt)[] = [];
  const state = new Map<string, 1 | 2>();
  const visit = (s: ast.SchemaStmt | ast.RuleStmt): void => {
    const st = state.get(s.name);
    if (st === 2) return;
    if (st === 1) {
      p.report('E2L23', `There is a circular reference between schemas ${s.name}`, s.span);
      return;
    }
    state.set(s.name, 1);
    const deps = s.kind === 'SchemaStmt' ? [s.parentName, ...s.mixins] : s.parents;
    for (const d of deps) {
      const dep = d ? byName.get(d.name) : undefined;
      if (dep && dep !== s) visit(dep);
    }
    state.set(s.name, 2);
    out.push(s);
  };
  stmts.forEach(visit);
  return out;
}
