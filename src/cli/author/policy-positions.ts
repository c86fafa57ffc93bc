/**
 * The engine names a policy's program `<namespace>/<name>.k` (`cluster/<name>.k`) and its
 * recovery program `<namespace>/<name>.recovery.k`, so its reasons say `team-a/p.k:3:5`. Offline, the author has the YAML file open: this rewrites those
 * positions into `policy.yaml:21:9` (the line of spec.source's content plus the KCL line).
 */
import { existsSync } from 'node:fs';
import { programFilename, recoveryFilename, type CompiledPolicy } from '../../engine/index.js';
import { readText } from './files.js';
import { remapSpan, sourceSegments, splitYamlDocuments, type Segment } from './source-map.js';

function sameIdentity(doc: unknown, policy: CompiledPolicy): boolean {
  const d = doc as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
  if (d?.kind !== policy.identity.kind || d.metadata?.name !== policy.identity.name) return false;
  return policy.identity.kind === 'ClusterKCLRun' || (d.metadata?.namespace ?? 'default') === policy.identity.namespace;
}

function segmentsFor(policy: CompiledPolicy, program: 'source' | 'recovery'): Segment[] | undefined {
  const origin = policy.origin;
  const source = program === 'source' ? policy.definition?.spec.source : policy.definition?.spec.recoverySource;
  if (!origin || source === undefined || !existsSync(origin)) return undefined;
  const document = splitYamlDocuments(readText(origin)).find((d) => sameIdentity(d.doc, policy));
  return document ? sourceSegments(origin, document, source, program === 'source' ? ['source'] : ['recovery', 'source']) : undefined;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A function rewriting `<key>.k:L:C` positions of these policies in a text. */
export function positionRewriter(policies: readonly CompiledPolicy[]): (text: string) => string {
  const rules: { pattern: RegExp; segments: Segment[] }[] = [];
  for (const policy of policies) {
    for (const [program, filename] of [['source', programFilename(policy.identity)], ['recovery', recoveryFilename(policy.identity)]] as const) {
      const segments = segmentsFor(policy, program);
      if (segments) rules.push({ pattern: new RegExp(`${escapeRegExp(filename)}:(\\d+):(\\d+)`, 'g'), segments });
    }
  }
  return (text) =>
    rules.reduce(
      (acc, rule) =>
        acc.replace(rule.pattern, (_m, line: string, col: string) => {
          const mapped = remapSpan({ file: '', line: Number(line), col: Number(col), endLine: Number(line), endCol: Number(col) }, rule.segments);
          return `${mapped.file}:${mapped.line}:${mapped.col}`;
        }),
      text,
    );
}
