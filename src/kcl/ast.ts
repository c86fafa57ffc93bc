/**
 * The KCL abstract syntax tree. Node kinds are named as the reference implementation
 * (kcl-lang/kcl, kclvm/ast) names them; every node carries its Span.
 *
 * The parser produces these nodes; the evaluator plans them once into closures. Nothing here
 * knows about evaluation.
 */
import type { Span } from './span.js';

interface NodeBase {
  readonly span: Span;
}

// ---------------------------------------------------------------- module and statements

export interface Module extends NodeBase {
  readonly kind: 'Module';
  readonly filename: string;
  readonly body: Stmt[];
}

export type Stmt =
  | ExprStmt
  | AssignStmt
  | AugAssignStmt
  | UnificationStmt
  | IfStmt
  | AssertStmt
  | ImportStmt
  | SchemaStmt
  | RuleStmt
  | TypeAliasStmt;

/** An expression on its own line; a bare string at module top is a docstring. */
export interface ExprStmt extends NodeBase {
  readonly kind: 'ExprStmt';
  readonly exprs: Expr[];
}

/** An assignment target: a name, optionally followed by `.attr` and `[index]` steps (`_a.b[0] = 1`). */
export interface Target extends NodeBase {
  readonly kind: 'Target';
  readonly name: string;
  readonly path: TargetStep[];
}

export type TargetStep =
  | { readonly kind: 'attr'; readonly name: string; readonly span: Span }
  | { readonly kind: 'index'; readonly index: Expr; readonly span: Span };

/** `a = b = value`, `a: T = value`. */
export interface AssignStmt extends NodeBase {
  readonly kind: 'AssignStmt';
  readonly targets: Target[];
  readonly value: Expr;
  readonly typeAnnotation?: Type;
}

export type AugOp = '+=' | '-=' | '*=' | '/=' | '//=' | '%=' | '**=' | '<<=' | '>>=' | '&=' | '|=' | '^=';

export interface AugAssignStmt extends NodeBase {
  readonly kind: 'AugAssignStmt';
  readonly target: Target;
  readonly op: AugOp;
  readonly value: Expr;
}

/** `a: S {...}` — declares `a` as an instance of schema S, unified with the config. */
export interface UnificationStmt extends NodeBase {
  readonly kind: 'UnificationStmt';
  readonly target: Target;
  readonly value: SchemaExpr;
}

export interface IfStmt extends NodeBase {
  readonly kind: 'IfStmt';
  readonly cond: Expr;
  readonly body: Stmt[];
  /** `elif` is represented as an `orelse` holding a single IfStmt. */
  readonly orelse: Stmt[];
}

/** `assert test [if guard][, msg]`. */
export interface AssertStmt extends NodeBase {
  readonly kind: 'AssertStmt';
  readonly test: Expr;
  readonly ifCond?: Expr;
  readonly msg?: Expr;
}

/** `import a.b.c [as name]`. `path` is the dotted path, `asname` the binding. */
export interface ImportStmt extends NodeBase {
  readonly kind: 'ImportStmt';
  readonly path: string;
  readonly asname?: string;
  /** The name this import binds in the module scope (asname, or the last path segment). */
  readonly name: string;
}

export interface Decorator extends NodeBase {
  readonly kind: 'Decorator';
  readonly name: string;
  readonly args: CallExpr | undefined;
}

export interface SchemaStmt extends NodeBase {
  readonly kind: 'SchemaStmt';
  readonly name: string;
  readonly doc?: string;
  /** `schema S[a: int, b = 1]` — schema arguments, like lambda params. */
  readonly args: Parameter[];
  readonly parentName?: Identifier;
  readonly forHostName?: Identifier;
  readonly isMixin: boolean;
  readonly isProtocol: boolean;
  readonly mixins: Identifier[];
  readonly decorators: Decorator[];
  /**
   * The body in source order: attribute declarations and any other statements (assignments,
   * if blocks, asserts...) that run when an instance is built.
   */
  readonly body: (SchemaAttr | Stmt)[];
  readonly indexSignature?: SchemaIndexSignature;
  readonly checks: CheckExpr[];
}

/** `name?: T = default` or `"quoted-name": T` inside a schema body. */
export interface SchemaAttr extends NodeBase {
  readonly kind: 'SchemaAttr';
  readonly name: string;
  readonly type: Type;
  readonly optional: boolean;
  /** `=` default, or `:` / `|=` style union default for schema-typed attributes. */
  readonly op?: '=' | ':' | '|=';
  readonly value?: Expr;
  readonly decorators: Decorator[];
  readonly doc?: string;
}

/** `[...name: KeyType]: ValueType = default` — `anyOther` is the `...` form. */
export interface SchemaIndexSignature extends NodeBase {
  readonly kind: 'SchemaIndexSignature';
  readonly keyName?: string;
  readonly keyType: Type;
  readonly valueType: Type;
  readonly anyOther: boolean;
  readonly value?: Expr;
}

/** One line of a `check:` block: `cond [if guard][, msg]`. */
export interface CheckExpr extends NodeBase {
  readonly kind: 'CheckExpr';
  readonly test: Expr;
  readonly ifCond?: Expr;
  readonly msg?: Expr;
}

export interface RuleStmt extends NodeBase {
  readonly kind: 'RuleStmt';
  readonly name: string;
  readonly doc?: string;
  readonly args: Parameter[];
  readonly parents: Identifier[];
  readonly forHostName?: Identifier;
  readonly decorators: Decorator[];
  readonly checks: CheckExpr[];
}

/** `type Name = T`. */
export interface TypeAliasStmt extends NodeBase {
  readonly kind: 'TypeAliasStmt';
  readonly name: string;
  readonly type: Type;
}

// ---------------------------------------------------------------- types

export type Type =
  | { readonly kind: 'AnyType'; readonly span: Span }
  | { readonly kind: 'BasicType'; readonly name: 'int' | 'float' | 'str' | 'bool'; readonly span: Span }
  /** A schema or type alias name, possibly dotted (`pkg.Schema`). */
  | { readonly kind: 'NamedType'; readonly name: string; readonly span: Span }
  | { readonly kind: 'ListType'; readonly elem?: Type; readonly span: Span }
  | { readonly kind: 'DictType'; readonly key?: Type; readonly value?: Type; readonly span: Span }
  | { readonly kind: 'UnionType'; readonly types: Type[]; readonly span: Span }
  /** `"a"`, `1`, `1.5`, `True`, `None`, `1Gi` as a type (`1Gi`: value 1, suffix 'Gi'). */
  | { readonly kind: 'LiteralType'; readonly value: string | number | boolean | null; readonly valueKind: 'str' | 'int' | 'float' | 'bool' | 'none'; readonly suffix?: UnitSuffix; readonly raw: string; readonly span: Span }
  | { readonly kind: 'FunctionType'; readonly params: Type[]; readonly ret?: Type; readonly span: Span };

// ---------------------------------------------------------------- expressions

export type Expr =
  | Identifier
  | SelectorExpr
  | SubscriptExpr
  | CallExpr
  | ParenExpr
  | UnaryExpr
  | BinaryExpr
  | CompareExpr
  | IfExpr
  | ListExpr
  | ListIfItemExpr
  | ConfigExpr
  | ConfigIfEntryExpr
  | StarredExpr
  | ListComp
  | DictComp
  | QuantExpr
  | LambdaExpr
  | SchemaExpr
  | StringLit
  | JoinedString
  | NumberLit
  | NameConstantLit
  | MissingExpr;

/** A plain name (`a`). Dotted access is a SelectorExpr chain. */
export interface Identifier extends NodeBase {
  readonly kind: 'Identifier';
  readonly name: string;
}

/** `value.attr` or `value?.attr`. */
export interface SelectorExpr extends NodeBase {
  readonly kind: 'SelectorExpr';
  readonly value: Expr;
  readonly attr: string;
  readonly hasQuestion: boolean;
}

/** `value[index]`, `value?[index]`, or a slice `value[lower:upper:step]`. */
export interface SubscriptExpr extends NodeBase {
  readonly kind: 'SubscriptExpr';
  readonly value: Expr;
  readonly index?: Expr;
  readonly lower?: Expr;
  readonly upper?: Expr;
  readonly step?: Expr;
  readonly isSlice: boolean;
  readonly hasQuestion: boolean;
}

export interface Keyword extends NodeBase {
  readonly kind: 'Keyword';
  readonly name: string;
  readonly value: Expr;
}

export interface CallExpr extends NodeBase {
  readonly kind: 'CallExpr';
  readonly func: Expr;
  readonly args: Expr[];
  readonly keywords: Keyword[];
}

export interface ParenExpr extends NodeBase {
  readonly kind: 'ParenExpr';
  readonly expr: Expr;
}

export type UnaryOp = '+' | '-' | '~' | 'not';

export interface UnaryExpr extends NodeBase {
  readonly kind: 'UnaryExpr';
  readonly op: UnaryOp;
  readonly operand: Expr;
}

export type BinOp =
  | '+' | '-' | '*' | '/' | '//' | '%' | '**'
  | '<<' | '>>' | '&' | '|' | '^'
  | 'and' | 'or'
  /** `x as T`: the right operand is an Identifier/SelectorExpr naming the type. */
  | 'as';

export interface BinaryExpr extends NodeBase {
  readonly kind: 'BinaryExpr';
  readonly op: BinOp;
  readonly left: Expr;
  readonly right: Expr;
}

export type CmpOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not in' | 'is' | 'is not';

/** `a < b <= c`: `ops.length === comparators.length`. */
export interface CompareExpr extends NodeBase {
  readonly kind: 'CompareExpr';
  readonly left: Expr;
  readonly ops: CmpOp[];
  readonly comparators: Expr[];
}

/** `body if cond else orelse`. */
export interface IfExpr extends NodeBase {
  readonly kind: 'IfExpr';
  readonly cond: Expr;
  readonly body: Expr;
  readonly orelse: Expr;
}

export interface ListExpr extends NodeBase {
  readonly kind: 'ListExpr';
  readonly elts: Expr[];
}

/** `if cond: a, b elif ...: c else: d` inside a list literal. */
export interface ListIfItemExpr extends NodeBase {
  readonly kind: 'ListIfItemExpr';
  readonly cond: Expr;
  readonly exprs: Expr[];
  /** Another ListIfItemExpr for `elif`, or a ListExpr for `else`. */
  readonly orelse?: ListIfItemExpr | ListExpr;
}

export type ConfigEntryOp = ':' | '=' | '+=';

/**
 * One entry of a config (dict) literal. `key` is undefined for `**expr` unpacking and for a
 * ConfigIfEntryExpr value. A nested selector key `a.b.c: v` has `key` an Identifier/SelectorExpr
 * chain; the evaluator expands it into nested configs.
 */
export interface ConfigEntry extends NodeBase {
  readonly kind: 'ConfigEntry';
  readonly key?: Expr;
  readonly value: Expr;
  readonly op: ConfigEntryOp;
  /** `**expr` entry. */
  readonly isDoubleStar: boolean;
}

export interface ConfigExpr extends NodeBase {
  readonly kind: 'ConfigExpr';
  readonly entries: ConfigEntry[];
}

/** `if cond: k: v ... elif ...: ... else: ...` inside a config literal. */
export interface ConfigIfEntryExpr extends NodeBase {
  readonly kind: 'ConfigIfEntryExpr';
  readonly cond: Expr;
  readonly entries: ConfigEntry[];
  /** Another ConfigIfEntryExpr for `elif`, or a ConfigExpr for `else`. */
  readonly orelse?: ConfigIfEntryExpr | ConfigExpr;
}

/** `*expr` inside a list literal or call arguments. */
export interface StarredExpr extends NodeBase {
  readonly kind: 'StarredExpr';
  readonly value: Expr;
}

export interface CompClause extends NodeBase {
  readonly kind: 'CompClause';
  /** One or two loop variables (`for k, v in d`). */
  readonly targets: Identifier[];
  readonly iter: Expr;
  readonly ifs: Expr[];
}

export interface ListComp extends NodeBase {
  readonly kind: 'ListComp';
  readonly elt: Expr;
  readonly generators: CompClause[];
}

export interface DictComp extends NodeBase {
  readonly kind: 'DictComp';
  readonly entry: ConfigEntry;
  readonly generators: CompClause[];
}

export type QuantOp = 'all' | 'any' | 'map' | 'filter';

/** `all x in xs { test [if cond] }`, also `any`, `map`, `filter`. */
export interface QuantExpr extends NodeBase {
  readonly kind: 'QuantExpr';
  readonly op: QuantOp;
  readonly variables: Identifier[];
  readonly target: Expr;
  readonly test: Expr;
  readonly ifCond?: Expr;
}

export interface Parameter extends NodeBase {
  readonly kind: 'Parameter';
  readonly name: string;
  readonly type?: Type;
  readonly default?: Expr;
}

export interface LambdaExpr extends NodeBase {
  readonly kind: 'LambdaExpr';
  readonly params: Parameter[];
  readonly returnType?: Type;
  readonly body: Stmt[];
}

/** `Name {config}` or `Name(args) {config}`; `name` is an Identifier or SelectorExpr (`pkg.S`). */
export interface SchemaExpr extends NodeBase {
  readonly kind: 'SchemaExpr';
  readonly name: Identifier | SelectorExpr;
  readonly args: Expr[];
  readonly keywords: Keyword[];
  readonly config: ConfigExpr;
}

export interface StringLit extends NodeBase {
  readonly kind: 'StringLit';
  /** The value with escapes resolved. */
  readonly value: string;
  readonly raw: string;
}

/** A formatted part of an interpolated string: `${expr}` or `${expr: #json}` / `#yaml`. */
export interface FormattedValue extends NodeBase {
  readonly kind: 'FormattedValue';
  readonly value: Expr;
  readonly formatSpec?: '#json' | '#yaml';
}

/** A string with `${...}` interpolation; `parts` alternate literal text and formatted values. */
export interface JoinedString extends NodeBase {
  readonly kind: 'JoinedString';
  readonly parts: (string | FormattedValue)[];
  readonly raw: string;
}

export type UnitSuffix = 'n' | 'u' | 'm' | 'k' | 'K' | 'M' | 'G' | 'T' | 'P' | 'Ki' | 'Mi' | 'Gi' | 'Ti' | 'Pi';

export interface NumberLit extends NodeBase {
  readonly kind: 'NumberLit';
  readonly value: number;
  readonly isFloat: boolean;
  /** Unit suffix of a number-multiplier literal (`500m`, `1Gi`). */
  readonly suffix?: UnitSuffix;
  readonly raw: string;
}

export interface NameConstantLit extends NodeBase {
  readonly kind: 'NameConstantLit';
  readonly value: 'True' | 'False' | 'None' | 'Undefined';
}

/** Placeholder the parser inserts where an expression was expected, so it can keep going. */
export interface MissingExpr extends NodeBase {
  readonly kind: 'MissingExpr';
}

export type Node = Module | Stmt | Expr | Type | SchemaAttr | CheckExpr | ConfigEntry | CompClause | Parameter | Keyword | Target | Decorator | FormattedValue | SchemaIndexSignature;
