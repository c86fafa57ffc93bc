/**
 * Schemas and rules (resolver/global.rs, resolver/schema.rs): their types are built before any
 * statement is checked (parents first, so a child sees what it inherits), then each body is
 * checked in its own scope, where a name may be an attribute set by the instance's config.
 */
import type * as ast from '../ast.js';
import { signature } from './builtin-types.js';
import { checkArguments } from './calls.js';
import type { Checker } from './checker.js';
import { checkDefaultsOrder, exprType } from './expressions.js';
import { binaryType } from './operators.js';
import { statementType } from './statements.js';
import { RESERVED_TYPE_NAMES } from './builtin-types.js';
import {
  ANY,
  STR,
  dictOf,
  isAny,
  isSchema,
  isStr,
  schemaRef,
  tyStr,
  type Param,
  type SchemaAttr,
  type SchemaInfo,
  type Type,
} from './types.js';

const DECORATORS = new Map([
  ['deprecated', signature('version?: str, reason?: str, strict?: bool -> any')],
  ['info', signature('... -> any')],
]);

type Definition = ast.SchemaStmt | ast.RuleStmt;

/** Declares every schema and rule of the module (their bodies are filled by buildSchemas). */
export function declareSchemas(c: Checker, body: readonly ast.Stmt[]): Definition[] {
  const defs: Definition[] = [];
  for (const s of body) {
    if (s.kind !== 'SchemaStmt' && s.kind !== 'RuleStmt') continue;
    if (c.schemas.has(s.name)) {
      c.report('E2L28', `unique key error name '${s.name}'`, s.span);
      continue;
    }
    const info: SchemaInfo = {
      name: s.name,
      pkgpath: c.pkgpath,
      span: s.span,
      isMixin: s.kind === 'SchemaStmt' && s.isMixin,
      isProtocol: s.kind === 'SchemaStmt' && s.isProtocol,
      isRule: s.kind === 'RuleStmt',
      mixins: [],
      attrs: new Map(),
      params: [],
      assigned: new Set(),
    };
    c.schemas.set(s.name, info);
    c.insert(s.name, { ty: schemaRef(info, false), span: s.span, kind: 'definition' });
    defs.push(s);
  }
  return defs;
}

/** Builds the declared schemas' types, each after its parent. */
export function buildSchemas(c: Checker, defs: readonly Definition[]): void {
  const done = new Set<Definition>();
  const building = new Set<Definition>();
  const byName = new Map(defs.map((d) => [d.name, d]));
  const build = (d: Definition): void => {
    if (done.has(d) || building.has(d)) return;
    building.add(d);
    const parentName = d.kind === 'SchemaStmt' ? d.parentName?.name : undefined;
    const parent = parentName !== undefined ? byName.get(parentName) : undefined;
    if (parent) build(parent);
    if (d.kind === 'SchemaStmt') buildSchema(c, d, c.schemas.get(d.name)!);
    else buildRule(c, d, c.schemas.get(d.name)!);
    building.delete(d);
    done.add(d);
  };
  defs.forEach(build);
  reportRuleCycles(c, defs);
}

/**
 * Rules whose parents lead back to them, reported at each rule of the cycle before any body is
 * checked, as the reference does (a rule that names itself as parent compiles there).
 */
function reportRuleCycles(c: Checker, defs: readonly Definition[]): void {
  const rules = new Map(defs.flatMap((d) => (d.kind === 'RuleStmt' ? [[d.name, d] as const] : [])));
  const cycleThrough = (start: ast.RuleStmt): string[] | undefined => {
    const path: string[] = [start.name];
    const seen = new Set(path);
    const walk = (r: ast.RuleStmt): boolean => {
      for (const parent of r.parents) {
        if (parent.name === r.name) continue;
        if (parent.name === start.name) return true;
        const next = rules.get(parent.name);
        if (!next || seen.has(next.name)) continue;
        seen.add(next.name);
        path.push(next.name);
        if (walk(next)) return true;
        path.pop();
      }
      return false;
    };
    return walk(start) ? path : undefined;
  };
  for (const rule of rules.values()) {
    const cycle = cycleThrough(rule);
    if (cycle) c.compileError(`There is a circular reference between rules ${cycle.sort().join(', ')}`, rule.span);
  }
}

/** A parent, mixin or protocol name: a schema definition that is (or is not) a mixin/protocol. */
function lookupSchema(c: Checker, id: ast.Identifier): SchemaInfo | undefined {
  const ty = c.typeOf({ kind: 'NamedType', name: id.name, span: id.span });
  return ty.k === 'schema' && !ty.instance ? ty.schema : undefined;
}

function describe(c: Checker, id: ast.Identifier): string {
  const saved = c.diagnostics.length;
  const ty = c.typeOf({ kind: 'NamedType', name: id.name, span: id.span });
  c.diagnostics.length = saved;
  return tyStr(ty);
}

function illegalInherit(c: Checker, message: string, id: ast.Identifier): void {
  c.report('E2D34', message, id.span);
}

function buildSchema(c: Checker, s: ast.SchemaStmt, info: SchemaInfo): void {
  if (s.parentName) {
    const parent = lookupSchema(c, s.parentName);
    if (parent && !parent.isProtocol && !parent.isMixin) {
      // `schema B(B)` compiles in the reference; only instantiating it fails (at run time).
      if (parent === info) info.base = undefined;
      else if (isAncestor(info, parent)) c.compileError(`There is a circular reference between schema ${s.name} and ${parent.name}`, s.span);
      else info.base = parent;
    } else {
      illegalInherit(c, `invalid schema inherit object type, expect schema, got '${describe(c, s.parentName)}'`, s.parentName);
    }
    if (s.parentName.name.endsWith('Mixin')) illegalInherit(c, `mixin inheritance ${s.parentName.name} is prohibited`, s.parentName);
  }
  if (s.forHostName) {
    if (!s.isMixin) {
      illegalInherit(c, 'only schema mixin can inherit from protocol', s.forHostName);
    } else {
      const protocol = lookupSchema(c, s.forHostName);
      if (protocol?.isProtocol) info.protocol = protocol;
      else illegalInherit(c, `invalid schema inherit object type, expect protocol, got '${describe(c, s.forHostName)}'`, s.forHostName);
    }
  }
  if (RESERVED_TYPE_NAMES.has(s.name)) c.compileError(`schema name '${s.name}' cannot be the same as the built-in types`, s.span);
  if (s.isProtocol && !s.name.endsWith('Protocol')) c.compileError("schema protocol name must end with 'Protocol'", s.span);
  const attrNames = new Set(s.body.flatMap((b) => (b.kind === 'SchemaAttr' ? [b.name] : b.kind === 'UnificationStmt' ? [b.target.name] : [])));
  if (s.indexSignature) buildIndexSignature(c, s.indexSignature, info, attrNames);
  const attrs = new Map<string, SchemaAttr>([['__settings__', { ty: dictOf(STR, ANY), optional: true, hasDefault: false, span: s.span }]]);
  for (const item of s.body) {
    let name: string;
    let ty: Type;
    let optional: boolean;
    let hasDefault: boolean;
    if (item.kind === 'SchemaAttr') {
      name = item.name;
      ty = c.typeOf(item.type);
      optional = item.optional;
      hasDefault = item.value !== undefined;
    } else if (item.kind === 'UnificationStmt') {
      name = item.target.name;
      ty = c.typeOf({ kind: 'NamedType', name: schemaName(item.value), span: item.span });
      optional = true;
      hasDefault = true;
    } else {
      continue;
    }
    const inherited = info.base ? attrOf(info.base, name) : undefined;
    const baseTy = inherited?.ty ?? ANY;
    if (!attrs.has(name)) attrs.set(name, { ty, optional: inherited ? inherited.optional : optional, hasDefault, span: item.span });
    const declared = attrs.get(name)!;
    if (!c.isUpperBound(declared.ty, ty) || !c.isUpperBound(baseTy, ty)) {
      c.typeError(`can't change schema field type of '${name}' from ${tyStr(declared.ty)} to ${tyStr(ty)}`, item.span);
    }
    if (optional && !declared.optional) c.typeError(`can't change the required schema attribute of '${name}' to optional`, item.span);
    const sig = info.indexSignature;
    if (sig && !sig.anyOther && !c.isUpperBound(sig.valTy, ty)) {
      c.report('E1001', `the type '${tyStr(ty)}' of schema attribute '${name}' does not meet the index signature definition`, item.span, undefined, 'IndexSignatureError');
    }
  }
  for (const m of s.mixins) {
    const last = m.name.split('.').pop()!;
    if (!last.endsWith('Mixin')) c.report('E1001', `a valid mixin name should end with 'Mixin', got '${last}'`, m.span, undefined, 'NameError');
    const mixin = lookupSchema(c, m);
    if (!mixin || mixin.isProtocol || !mixin.isMixin) {
      illegalInherit(c, `illegal schema mixin object type '${describe(c, m)}'`, m);
      continue;
    }
    for (const [name, attr] of mixin.attrs) if (!attrs.has(name)) attrs.set(name, attr);
    info.mixins.push(mixin);
  }
  info.attrs = attrs;
  info.params = parameters(c, s.args, attrNames);
  info.assigned = assignedInBody(s.body);
  resolveDecorators(c, s.decorators);
}

function buildIndexSignature(c: Checker, sig: ast.SchemaIndexSignature, info: SchemaInfo, attrNames: ReadonlySet<string>): void {
  if (sig.keyName !== undefined && attrNames.has(sig.keyName)) {
    c.report('E1001', `index signature attribute name '${sig.keyName}' cannot have the same name as schema attributes`, sig.span, undefined, 'IndexSignatureError');
  }
  const keyTy = c.typeOf(sig.keyType);
  const valTy = c.typeOf(sig.valueType);
  const strLike = keyTy.k === 'union' ? keyTy.types.every(isStr) : isStr(keyTy);
  if (!strLike) c.report('E1001', `invalid index signature key type: '${tyStr(keyTy)}'`, sig.span, undefined, 'IndexSignatureError');
  info.indexSignature = { ...(sig.keyName !== undefined ? { keyName: sig.keyName } : {}), keyTy, valTy, anyOther: sig.anyOther };
}

function buildRule(c: Checker, r: ast.RuleStmt, info: SchemaInfo): void {
  if (r.forHostName) {
    const protocol = lookupSchema(c, r.forHostName);
    if (protocol?.isProtocol) info.protocol = protocol;
    else illegalInherit(c, `invalid schema inherit object type, expect protocol, got '${describe(c, r.forHostName)}'`, r.forHostName);
  }
  for (const parent of r.parents) {
    const found = lookupSchema(c, parent);
    if (!found) c.typeOf({ kind: 'NamedType', name: parent.name, span: parent.span });
    // A rule's parents are rules; the reference refuses a schema here before it checks bodies.
    else if (!found.isRule) illegalInherit(c, `illegal rule type '${parent.name}'`, parent);
  }
  info.params = parameters(c, r.args, new Set());
  resolveDecorators(c, r.decorators);
}

function parameters(c: Checker, args: readonly ast.Parameter[], attrNames: ReadonlySet<string>): Param[] {
  return args.map((a) => {
    if (attrNames.has(a.name)) c.compileError(`Unexpected parameter name '${a.name}' with the same name as the schema attribute`, a.span);
    return { name: a.name, ty: c.typeOf(a.type), hasDefault: a.default !== undefined, span: a.span };
  });
}

function schemaName(e: ast.SchemaExpr): string {
  const n = e.name;
  return n.kind === 'Identifier' ? n.name : `${schemaName({ ...e, name: n.value as ast.Identifier })}.${n.attr}`;
}

function attrOf(s: SchemaInfo, name: string): SchemaAttr | undefined {
  for (let cur: SchemaInfo | undefined = s; cur; cur = cur.base) {
    const a = cur.attrs.get(name);
    if (a) return a;
  }
  return undefined;
}

function isAncestor(info: SchemaInfo, parent: SchemaInfo): boolean {
  for (let cur: SchemaInfo | undefined = parent; cur; cur = cur.base) if (cur === info) return true;
  return false;
}

/** Names the body sets (directly or under `if`): instances get them without a config. */
function assignedInBody(body: readonly (ast.Stmt | ast.SchemaAttr)[]): Set<string> {
  const out = new Set<string>();
  const visit = (s: ast.Stmt | ast.SchemaAttr): void => {
    if (s.kind === 'AssignStmt') s.targets.forEach((t) => out.add(t.name));
    else if (s.kind === 'AugAssignStmt' || s.kind === 'UnificationStmt') out.add(s.target.name);
    else if (s.kind === 'SchemaAttr' && s.value) out.add(s.name);
    else if (s.kind === 'IfStmt') {
      s.body.forEach(visit);
      s.orelse.forEach(visit);
    }
  };
  body.forEach(visit);
  return out;
}

function resolveDecorators(c: Checker, decorators: readonly ast.Decorator[]): void {
  for (const d of decorators) {
    const sig = DECORATORS.get(d.name);
    if (!sig) {
      c.compileError(`UnKnown decorator ${d.name}`, d.span);
      continue;
    }
    if (d.args) checkArguments(c, d.args.func, d.args.args, d.args.keywords, sig);
  }
}

// ---------------------------------------------------------------- bodies

export function checkSchemaStmt(c: Checker, s: ast.SchemaStmt | ast.RuleStmt): Type {
  const info = c.schemas.get(s.name);
  if (!info) return ANY;
  const savedSchema = c.schema;
  const savedAttrTypes = c.schemaAttrTypes;
  c.schema = info;
  c.schemaAttrTypes = new Map();
  checkDefaultsOrder(c, s.args);
  c.enterScope('schema');
  try {
    for (const p of info.params) c.insert(p.name, { ty: p.ty, ...(p.span ? { span: p.span } : {}), kind: 'parameter' });
    if (s.kind === 'SchemaStmt') {
      if (s.indexSignature?.keyName !== undefined && info.indexSignature) {
        c.insert(s.indexSignature.keyName, { ty: info.indexSignature.keyTy, span: s.indexSignature.span, kind: 'variable' });
      }
      for (const name of declaredNames(s.body)) {
        if (!c.scope.elems.has(name)) c.insert(name, { ty: ANY, kind: 'variable' });
      }
      for (const item of s.body) {
        if (item.kind === 'SchemaAttr') checkSchemaAttr(c, item, info);
        else statementType(c, item);
      }
    }
    for (const check of s.checks) {
      if (check.msg) c.mustAssign(exprType(c, check.msg), STR, check.msg.span);
      if (check.ifCond) exprType(c, check.ifCond);
      exprType(c, check.test);
    }
  } finally {
    c.leaveScope();
    c.schema = savedSchema;
    c.schemaAttrTypes = savedAttrTypes;
  }
  return schemaRef(info, false);
}

function declaredNames(body: readonly (ast.Stmt | ast.SchemaAttr)[]): string[] {
  const out: string[] = [];
  const visit = (s: ast.Stmt | ast.SchemaAttr): void => {
    if (s.kind === 'SchemaAttr') out.push(s.name);
    else if (s.kind === 'AssignStmt') s.targets.forEach((t) => out.push(t.name));
    else if (s.kind === 'AugAssignStmt' || s.kind === 'UnificationStmt') out.push(s.target.name);
    else if (s.kind === 'IfStmt') {
      s.body.forEach(visit);
      s.orelse.forEach(visit);
    }
  };
  body.forEach(visit);
  return out;
}

export function checkSchemaAttr(c: Checker, a: ast.SchemaAttr, info: SchemaInfo): void {
  c.localVars = [];
  const expected = attrOf(info, a.name)?.ty ?? ANY;
  resolveDecorators(c, a.decorators);
  c.insert(a.name, { ty: expected, span: a.span, kind: 'variable' });
  if (!a.value) return;
  const value = isSchema(expected) ? c.withContext({ name: expected.schema.name, ty: expected }, () => exprType(c, a.value!)) : exprType(c, a.value);
  if (a.op === '|=') c.mustAssign(binaryType(c, value, expected, '|', a.span), expected, a.span);
  else c.mustAssign(value, expected, a.span);
  void isAny;
}
