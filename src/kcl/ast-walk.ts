/**
 * A generic walk over the AST: every node is an object with a `kind`, and its children are the
 * node-valued (or node-array-valued) properties. For analyses that look for something anywhere
 * under a node, without a case per node kind.
 */
import type * as ast from './ast.js';

function isNode(v: unknown): v is ast.Node {
  return typeof v === 'object' && v !== null && typeof (v as { kind?: unknown }).kind === 'string';
}

/** Whether `pred` holds for `node` or any node under it (stops at the first). */
export function someNode(node: ast.Node, pred: (n: ast.Node) => boolean): boolean {
  if (pred(node)) return true;
  for (const [key, v] of Object.entries(node)) {
    if (key === 'span') continue;
    if (Array.isArray(v)) {
      for (const item of v) if (isNode(item) && someNode(item, pred)) return true;
    } else if (isNode(v) && someNode(v, pred)) {
      return true;
    }
  }
  return false;
}

/** Whether an identifier named in `names` appears anywhere under `node`. */
export function mentionsAny(node: ast.Node, names: ReadonlySet<string>): boolean {
  return names.size > 0 && someNode(node, (n) => n.kind === 'Identifier' && names.has(n.name));
}
