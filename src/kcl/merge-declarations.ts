/**
 * The reference's config merge (kclvm/sema pre_process/config.rs), done on the main module before
 * it is checked and planned: a variable declared several times by unification (`a: S {...}`,
 * possibly after `a = S {...}`) is one declaration, at the place of the last one, whose config
 * holds the entries of all of them in order. So the required attributes are checked on the
 * merged config, and the variable is output where its last declaration stands. Entries of the
 * same key are unified as the reference does (an `=` entry drops the earlier ones; configs under
 * a key that a schema expression sets are merged into that expression).
 */
import type * as ast from './ast.js';

type Declaration = ast.UnificationStmt | (ast.AssignStmt & { value: ast.SchemaExpr });

function declaredName(s: ast.Stmt): string | undefined {
  if (s.kind === 'UnificationStmt' && s.target.path.length === 0) return s.target.name;
  if (s.kind === 'AssignStmt' && s.value.kind === 'SchemaExpr' && s.targets.length === 1 && s.targets[0]!.path.length === 0) {
    return s.targets[0]!.name;
  }
  return undefined;
}

/** The main module's statements with repeated unifications merged (the input is not changed). */
export function mergeDeclarations(body: readonly ast.Stmt[]): ast.Stmt[] {
  const byName = new Map<string, number[]>();
  body.forEach((s, i) => {
    const name = declaredName(s);
    if (name !== undefined) byName.set(name, [...(byName.get(name) ?? []), i]);
  });
  const replaced = new Map<number, ast.Stmt>();
  const dropped = new Set<number>();
  for (const indexes of byName.values()) {
    const lastIndex = indexes[indexes.length - 1]!;
    const last = body[lastIndex] as Declaration;
    // Only a unification gathers the earlier declarations; a later plain assignment is an
    // ImmutableError instead.
    if (indexes.length < 2 || last.kind !== 'UnificationStmt') continue;
    const entries = indexes.flatMap((i) => (body[i] as Declaration).value.config.entries);
    const config: ast.ConfigExpr = { ...last.value.config, entries: unifyEntries(entries) };
    replaced.set(lastIndex, { ...last, value: { ...last.value, config } });
    indexes.slice(0, -1).forEach((i) => dropped.add(i));
  }
  if (replaced.size === 0) return [...body];
  return body.flatMap((s, i) => (dropped.has(i) ? [] : [replaced.get(i) ?? s]));
}

const NO_NAME = '\u0000';

function keyName(key: ast.Expr | undefined): string {
  if (!key) return NO_NAME;
  if (key.kind === 'StringLit') return key.value;
  const parts: string[] = [];
  let e: ast.Expr = key;
  while (e.kind === 'SelectorExpr' && !e.hasQuestion) {
    parts.unshift(e.attr);
    e = e.value;
  }
  if (e.kind !== 'Identifier') return NO_NAME;
  parts.unshift(e.name);
  return parts.join('.');
}

function configOf(value: ast.Expr): ast.ConfigExpr | undefined {
  if (value.kind === 'SchemaExpr') return value.config;
  if (value.kind === 'ConfigExpr') return value;
  return undefined;
}

function withEntries(value: ast.Expr, entries: ast.ConfigEntry[]): ast.Expr {
  if (value.kind === 'SchemaExpr') return { ...value, config: { ...value.config, entries } };
  if (value.kind === 'ConfigExpr') return { ...value, entries };
  return value;
}

/** unify_config_entries: entries grouped by key, each group's configs merged into its schema. */
function unifyEntries(entries: readonly ast.ConfigEntry[]): ast.ConfigEntry[] {
  const buckets = new Map<string, ast.ConfigEntry[]>();
  for (const entry of entries) {
    const name = keyName(entry.key);
    const bucket = buckets.get(name);
    if (!bucket) buckets.set(name, [entry]);
    else if (entry.op === '=' && name !== NO_NAME) bucket.splice(0, bucket.length, entry);
    else bucket.push(entry);
  }
  const out: ast.ConfigEntry[] = [];
  for (const [name, items] of buckets) {
    const at = name === NO_NAME ? -1 : items.findIndex((e) => e.value.kind === 'SchemaExpr');
    if (at < 0) {
      out.push(...items);
      continue;
    }
    const schema = items[at]!;
    let merged = [...configOf(schema.value)!.entries];
    items.forEach((item, i) => {
      const config = configOf(item.value);
      if (i === at) return;
      if (!config) out.push(item);
      else merged = i < at ? [...config.entries, ...merged] : [...merged, ...config.entries];
    });
    out.push({ ...schema, value: withEntries(schema.value, merged) });
  }
  return out.map((entry) => {
    const config = configOf(entry.value);
    return config ? { ...entry, value: withEntries(entry.value, unifyEntries(config.entries)) } : entry;
  });
}
