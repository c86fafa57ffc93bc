/**
 * The checker's state and the operations every part of it shares: diagnostics, scopes, name
 * resolution, attribute access, type annotations and the assignability check that reports
 * "expected T, got U". The walk itself is in statements.ts, expressions.ts, schemas.ts,
 * configs.ts and calls.ts; it follows the reference's resolver (kclvm/sema/src/resolver) so
 * that a program is refused exactly when, and where, the reference refuses it.
 */
import type * as ast from '../ast.js';
import type { Diagnostic, ErrorCode } from '../diagnostics.js';
import type { Span } from '../span.js';
import { BUILTIN_FUNCTION_TYPES, STRING_METHOD_TYPES, SYSTEM_MODULE_TYPES } from './builtin-types.js';
import { assignableTo, subsume, toVariableType } from './relations.js';
import { Scope, type ScopeKind, type ScopeObject } from './scope.js';
import {
  ANY,
  BOOL,
  FLOAT,
  INT,
  STR,
  dictOf,
  func,
  isAny,
  listOf,
  schemaAttr,
  tyStr,
  unionOf,
  type SchemaInfo,
  type Type,
} from './types.js';

/** What an imported user module offers its importers: its top-level names and their types. */
export interface CheckedModule {
  readonly pkgpath: string;
  readonly members: ReadonlyMap<string, Type>;
}

/** An entry of the config-expression context stack: the type a config literal must fit. */
export interface ConfigContext {
  readonly name: string;
  readonly ty: Type;
  /** Where that type was declared (an attribute, an annotated variable). */
  readonly span?: Span;
}

const builtinScope = (() => {
  const s = new Scope('builtin');
  for (const [name, ty] of BUILTIN_FUNCTION_TYPES) s.elems.set(name, { ty, kind: 'definition' });
  return s;
})();

export class Checker {
  readonly diagnostics: Diagnostic[] = [];
  private readonly seen = new Set<string>();
  scope: Scope;
  readonly packageScope: Scope;
  /** The schema whose body is being checked, with the attribute types its body has given. */
  schema: SchemaInfo | undefined;
  schemaAttrTypes = new Map<string, Type>();
  /** Comprehension and quantifier variables of the current statement. */
  localVars: string[] = [];
  lValue = false;
  readonly configContext: (ConfigContext | undefined)[] = [];
  /** User modules by pkgpath, for `mod.name`. */
  readonly modules = new Map<string, CheckedModule>();
  /** Members of the host modules this module imports, by module name. */
  readonly hostModules = new Map<string, ReadonlyMap<string, Type>>();
  /** Schemas declared in this module, by name. */
  readonly schemas = new Map<string, SchemaInfo>();
  /** ImmutableErrors of module-level assignments, reported when the walk reaches them. */
  immutable: ReadonlyMap<ast.Target, Diagnostic> = new Map();

  constructor(
    readonly pkgpath: string,
    readonly filename: string,
  ) {
    this.packageScope = new Scope('package', builtinScope);
    this.scope = this.packageScope;
  }

  // ---------------------------------------------------------------- diagnostics

  report(code: ErrorCode, message: string, span: Span, related?: { message: string; span: Span }[], title?: string): void {
    // The reference keeps its diagnostics in a set: the same error found twice is reported once.
    const key = `${code}\u0000${message}\u0000${span.file}:${span.line}:${span.col}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.diagnostics.push({ code, message, span, ...(related && related.length > 0 ? { related } : {}), ...(title ? { title } : {}) });
  }

  /** Reports the ImmutableError of an assignment target, if it has one. */
  reportImmutable(target: ast.Target): void {
    const d = this.immutable.get(target);
    if (d) this.report(d.code, d.message, d.span!, d.related ? [...d.related] : undefined, d.title);
  }

  typeError(message: string, span: Span): void {
    this.report('E2G22', message, span);
  }

  compileError(message: string, span: Span): void {
    this.report('E2L23', message, span);
  }

  // ---------------------------------------------------------------- scopes

  enterScope(kind: ScopeKind): void {
    this.scope = new Scope(kind, this.scope);
  }

  leaveScope(): void {
    this.localVars = [];
    this.scope = this.scope.parent ?? this.packageScope;
  }

  insert(name: string, obj: ScopeObject): void {
    this.scope.elems.set(name, obj);
  }

  /** A name's type where it is read; a name that resolves nowhere is a CompileError. */
  lookupType(name: string, span: Span): Type {
    const found = this.scope.lookup(name);
    if (found) return found.ty;
    this.compileError(`name '${name}' is not defined`, span);
    return ANY;
  }

  /** Narrows a variable to the type of the value it was just given (literals widened). */
  setType(name: string, ty: Type, span: Span): void {
    const obj = this.scope.elems.get(name);
    if (obj) obj.ty = toVariableType(ty);
    else this.compileError(`name '${name}' is not defined`, span);
  }

  withContext<T>(ctx: ConfigContext | undefined, body: () => T): T {
    const depth = this.configContext.length;
    this.configContext.push(ctx);
    try {
      return body();
    } finally {
      this.configContext.length = depth;
    }
  }

  // ---------------------------------------------------------------- names

  /** The type of a plain name, read (or, with lValue set, about to be assigned). */
  resolveName(name: string, span: Span): Type {
    if (this.schema) {
      const attrTy = this.schemaAttrTypes.get(name) ?? schemaAttr(this.schema, name)?.ty;
      if (!this.lValue) {
        const scopeTy = this.scope.lookup(name)?.ty;
        if (this.localVars.includes(name)) return scopeTy ?? ANY;
        if (attrTy && !isAny(attrTy)) return attrTy;
        if (scopeTy) return scopeTy;
        // A mixin's body reads the attributes of the schema it is mixed into; a rule's checks
        // are left to run time too, as in the reference (an unknown name there is Undefined).
        if (attrTy || this.schema.isMixin || this.schema.isProtocol || this.schema.isRule) return ANY;
        return this.lookupType(name, span);
      }
      if (!this.scope.elems.has(name) || attrTy === undefined) {
        this.insert(name, { ty: ANY, span, kind: 'variable' });
        if (attrTy === undefined) this.schemaAttrTypes.set(name, ANY);
        return ANY;
      }
      return attrTy;
    }
    if (!this.lValue) return this.lookupType(name, span);
    if (!this.scope.elems.has(name)) {
      this.insert(name, { ty: ANY, span, kind: 'variable' });
      return ANY;
    }
    return this.lookupType(name, span);
  }

  /** `obj.attr`: the attribute's type, or a TypeError when the type has no such attribute. */
  loadAttr(obj: Type, attr: string, span: Span): Type {
    const missing = (suggestions = ''): Type => {
      this.typeError(`attribute '${attr}' not found in '${tyStr(obj)}'${suggestions}`, span);
      return ANY;
    };
    switch (obj.k) {
      case 'any':
      case 'union':
        return ANY;
      case 'str':
      case 'strLit': {
        const m = STRING_METHOD_TYPES.get(attr);
        return m ?? missing();
      }
      case 'dict':
        return obj.attrs?.get(attr)?.ty ?? obj.val;
      case 'schema': {
        const found = schemaAttr(obj.schema, attr);
        if (found) return found.ty;
        if (isOpenSchema(obj.schema)) return ANY;
        if (!obj.instance && attr === 'instances') return func([], listOf(ANY));
        return missing();
      }
      case 'module':
        return this.moduleMember(obj.pkgpath, obj.system, attr, span) ?? missing();
      default:
        return missing();
    }
  }

  private moduleMember(pkgpath: string, system: boolean, attr: string, span: Span): Type | undefined {
    if (system) {
      const host = SYSTEM_MODULE_TYPES.has(pkgpath) ? undefined : this.hostModules.get(pkgpath);
      if (host && !host.has(attr)) {
        // kclguard's own contract for host modules (no reference to follow): a compile error.
        this.compileError(`module '${pkgpath}' has no attribute '${attr}'`, span);
        return ANY;
      }
      const members = SYSTEM_MODULE_TYPES.get(pkgpath) ?? host;
      if (!members) return ANY;
      return members.get(attr);
    }
    const m = this.modules.get(pkgpath);
    if (!m) return ANY;
    const ty = m.members.get(attr);
    if (ty?.k === 'module') this.compileError(`can not import the attribute '${attr}' from the module '${pkgpath}'`, span);
    return ty;
  }

  // ---------------------------------------------------------------- type annotations

  /** The type an annotation names; names (schemas, aliases) are looked up where it is written. */
  typeOf(t: ast.Type | undefined): Type {
    if (!t) return ANY;
    switch (t.kind) {
      case 'AnyType':
        return ANY;
      case 'BasicType':
        return t.name === 'int' ? INT : t.name === 'float' ? FLOAT : t.name === 'str' ? STR : BOOL;
      case 'ListType':
        return listOf(this.typeOf(t.elem));
      case 'DictType':
        return dictOf(this.typeOf(t.key), this.typeOf(t.value));
      case 'UnionType':
        return unionOf(t.types.map((m) => this.typeOf(m)));
      case 'FunctionType':
        return func(
          t.params.map((p, i) => ({ name: `arg${i}`, ty: this.typeOf(p), hasDefault: false })),
          this.typeOf(t.ret),
        );
      case 'LiteralType':
        return this.literalType(t);
      case 'NamedType':
        return this.namedType(t.name, t.span);
    }
  }

  private literalType(t: Extract<ast.Type, { kind: 'LiteralType' }>): Type {
    switch (t.valueKind) {
      case 'bool':
        return { k: 'boolLit', v: t.value as boolean };
      case 'str':
        return { k: 'strLit', v: t.value as string };
      case 'float':
        return { k: 'floatLit', v: t.value as number };
      case 'none':
        // `None` is a value, not a type, for the reference too.
        return this.lookupType('None', t.span);
      case 'int': {
        const suffix = /(Ki|Mi|Gi|Ti|Pi|[numkKMGTP])$/.exec(t.raw)?.[0];
        return suffix ? { k: 'unit', lit: { raw: t.value as number, suffix } } : { k: 'intLit', v: t.value as number };
      }
    }
  }

  private namedType(name: string, span: Span): Type {
    const names = name.split('.');
    const saved = this.lValue;
    this.lValue = false;
    try {
      let ty = this.lookupType(names[0]!, span);
      for (const n of names.slice(1)) ty = this.loadAttr(ty, n, span);
      return ty;
    } finally {
      this.lValue = saved;
    }
  }

  // ---------------------------------------------------------------- assignability

  /** Reports "expected T, got U" unless a value of type `ty` fits `expected`. */
  mustAssign(ty: Type, expected: Type, span: Span, declaredAt?: Span): void {
    if (this.fits(ty, expected, span)) return;
    const related = declaredAt ? [{ message: `variable is defined here, its type is ${tyStr(expected)}, but got ${tyStr(ty)}`, span: declaredAt }] : undefined;
    this.report('E2G22', `expected ${tyStr(expected)}, got ${tyStr(ty)}`, span, related);
  }

  /** Whether `ty` fits `expected`; a dict assigned to a schema is judged key by key. */
  fits(ty: Type, expected: Type, span: Span): boolean {
    if (ty.k === 'list' && expected.k === 'list') return this.fits(ty.item, expected.item, span);
    if (ty.k === 'dict' && expected.k === 'dict') return this.fits(ty.key, expected.key, span) && this.fits(ty.val, expected.val, span);
    if (ty.k === 'dict' && expected.k === 'schema') return this.dictFitsSchema(ty, expected.schema, span);
    if (ty.k === 'union') return ty.types.every((t) => this.fits(t, expected, span));
    if (expected.k === 'union') return expected.types.some((e) => this.fits(ty, e, span));
    return assignableTo(ty, expected);
  }

  private dictFitsSchema(ty: Extract<Type, { k: 'dict' }>, schema: SchemaInfo, span: Span): boolean {
    const sig = schema.indexSignature;
    if (sig) {
      if (!assignableTo(ty.val, sig.valTy)) {
        this.typeError(`expected schema index signature value type ${tyStr(sig.valTy)}, got ${tyStr(ty.val)}`, span);
      }
      if (sig.anyOther) return assignableTo(ty.key, sig.keyTy) && assignableTo(ty.val, sig.valTy);
      return true;
    }
    // Each key the dict literal wrote is checked against the attribute of that name (its value
    // type widened: `str`, not `str(s)`), reported where the whole value is assigned.
    for (const [key, a] of ty.attrs ?? []) {
      const attr = schemaAttr(schema, key);
      if (attr) this.mustAssign(toVariableType(a.ty), attr.ty, span, attr.span);
    }
    return true;
  }

  isUpperBound(upper: Type, t: Type): boolean {
    return subsume(t, upper, false);
  }
}

/** A mixin or a schema with its own index signature accepts any attribute name. */
export function isOpenSchema(s: SchemaInfo): boolean {
  return s.isMixin || s.indexSignature !== undefined;
}
