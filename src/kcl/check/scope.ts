/**
 * The checker's scopes: a chain of name tables, each name with its type and where it was
 * declared. Names are looked up innermost first, ending in the module scope and the builtins.
 */
import type { Span } from '../span.js';
import type { Type } from './types.js';

export type ScopeKind = 'builtin' | 'package' | 'schema' | 'loop' | 'lambda' | 'config';

export interface ScopeObject {
  ty: Type;
  readonly span?: Span;
  readonly kind: 'variable' | 'attribute' | 'definition' | 'parameter' | 'alias' | 'module';
}

export class Scope {
  readonly elems = new Map<string, ScopeObject>();

  constructor(
    readonly kind: ScopeKind,
    readonly parent?: Scope,
  ) {}

  lookup(name: string): ScopeObject | undefined {
    for (let s: Scope | undefined = this; s; s = s.parent) {
      const found = s.elems.get(name);
      if (found) return found;
    }
    return undefined;
  }
}
