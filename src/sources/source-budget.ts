/**
 * How much resolved KCL text the resolver holds for the policies it resolved (their last good
 * resolutions), counted once per package however many policies use it, and charged to each
 * namespace whose policies use it. A resolution that would take the namespaced policies' total
 * past `totalBytes`, or its namespace past `namespaceBytes`, is refused (S3004) and nothing of it
 * is held: the policy keeps its last good version if it has one, and what other policies hold is
 * untouched. ClusterKCLRuns are a scope of their own, with a share of `namespaceBytes`, outside
 * the total: tenants filling the total (two namespaces at their share do) must not keep an
 * admin's guardrail from loading, or from loading again after a restart. So kclguard holds at
 * most `totalBytes + namespaceBytes` of source text, whatever tenants do.
 *
 * Bytes are what V8 keeps for the characters: one per character for Latin-1 text, two for a
 * string with any other character (an attacker's text of '€' costs twice its length).
 */
import { SourceError } from './errors.js';

export interface SourceBudgetLimits {
  /** Source text held for all KCLRuns together. */
  readonly totalBytes: number;
  /** Source text held for the KCLRuns of one namespace, and for the ClusterKCLRuns. */
  readonly namespaceBytes: number;
}

/** A package (or an inline source) as held: its files and what they cost. */
export interface HeldUnit {
  /** Stable for the content: a manifest digest, or the hash of an inline source. */
  readonly id: string;
  readonly files: Readonly<Record<string, string>>;
  readonly bytes: number;
}

interface Holding {
  readonly unit: HeldUnit;
  readonly holders: Set<string>;
}

/** Bytes V8 holds for a string's characters. */
export function textBytes(text: string): number {
  return /[^\u0000-\u00ff]/.test(text) ? text.length * 2 : text.length;
}

const measured = new WeakMap<object, number>();

/** The bytes of a set of files (memoised per files object: a cached package is measured once). */
export function filesBytes(files: Readonly<Record<string, string>>): number {
  let bytes = measured.get(files);
  if (bytes === undefined) {
    bytes = 0;
    for (const text of Object.values(files)) bytes += textBytes(text);
    measured.set(files, bytes);
  }
  return bytes;
}

export class SourceBudget {
  private readonly units = new Map<string, Holding>();
  private readonly policies = new Map<string, { readonly namespace: string | undefined; readonly ids: readonly string[] }>();
  private total = 0;

  constructor(readonly limits: SourceBudgetLimits) {}

  /** The unit already held under this id (so every policy shares one copy of its text), else this one. */
  intern(unit: HeldUnit): HeldUnit {
    return this.units.get(unit.id)?.unit ?? unit;
  }

  /**
   * Makes `units` what the policy holds, replacing what it held; or, when that would go over the
   * budget, throws S3004 and leaves everything as it was.
   */
  hold(key: string, namespace: string | undefined, units: readonly HeldUnit[]): void {
    const distinct = new Map(units.map((unit) => [unit.id, unit]));
    const scope = namespace === undefined ? 'the ClusterKCLRuns' : `namespace ${namespace}`;
    const inScope = this.scopeBytes(namespace, distinct, key);
    const total = namespace === undefined ? 0 : this.namespacedBytes(distinct, key);
    const problem =
      total > this.limits.totalBytes
        ? `holding this policy's source would take the source text kclguard holds for all KCLRuns to ${mib(total)} MiB, more than its budget of ${mib(this.limits.totalBytes)} MiB`
        : inScope > this.limits.namespaceBytes
          ? `holding this policy's source would take the source text held for ${scope} to ${mib(inScope)} MiB, more than its share of ${mib(this.limits.namespaceBytes)} MiB`
          : undefined;
    if (problem) throw new SourceError('S3004', `${problem}; it loads once sources are removed or made smaller`);
    this.release(key);
    this.attach(key, namespace, [...distinct.values()]);
  }

  /** Forgets what the policy held. */
  release(key: string): void {
    const held = this.policies.get(key);
    if (!held) return;
    this.policies.delete(key);
    for (const id of held.ids) {
      const holding = this.units.get(id)!;
      holding.holders.delete(key);
      if (holding.holders.size === 0) {
        this.units.delete(id);
        this.total -= holding.unit.bytes;
      }
    }
  }

  /** Bytes held for all policies; for one namespace's policies. */
  heldBytes(namespace?: string): number {
    return namespace === undefined ? this.total : this.scopeBytes(namespace, new Map());
  }

  private attach(key: string, namespace: string | undefined, units: readonly HeldUnit[]): void {
    for (const unit of units) {
      let holding = this.units.get(unit.id);
      if (!holding) {
        holding = { unit, holders: new Set() };
        this.units.set(unit.id, holding);
        this.total += unit.bytes;
      }
      holding.holders.add(key);
    }
    this.policies.set(key, { namespace, ids: units.map((unit) => unit.id) });
  }

  /** What one scope's policies (but `except`) hold, with `extra` added (each unit once); undefined: the ClusterKCLRuns. */
  private scopeBytes(namespace: string | undefined, extra: ReadonlyMap<string, HeldUnit>, except?: string): number {
    return this.bytesOf((held) => held.namespace === namespace, extra, except);
  }

  /** What every namespace's policies (but `except`) hold, with `extra` added (each unit once). */
  private namespacedBytes(extra: ReadonlyMap<string, HeldUnit>, except?: string): number {
    return this.bytesOf((held) => held.namespace !== undefined, extra, except);
  }

  private bytesOf(counts: (held: { readonly namespace: string | undefined }) => boolean, extra: ReadonlyMap<string, HeldUnit>, except?: string): number {
    const ids = new Set(extra.keys());
    let bytes = 0;
    for (const unit of extra.values()) bytes += unit.bytes;
    for (const [key, held] of this.policies) {
      if (!counts(held) || key === except) continue;
      for (const id of held.ids) {
        if (ids.has(id)) continue;
        ids.add(id);
        bytes += this.units.get(id)!.unit.bytes;
      }
    }
    return bytes;
  }
}

function mib(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(1);
}
