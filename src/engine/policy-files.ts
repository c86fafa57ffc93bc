/**
 * The files of a local policy directory, and what one revision of a file holds. A revision is
 * read as the writer left it at that moment: possibly empty (truncated, about to be rewritten),
 * cut off mid-document, or not YAML at all. This module says which revisions can be used; the
 * policy source decides what to keep (local-policy-source.ts).
 */
import { RBAC_API_GROUP } from './rbac/index.js';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { KCLRUN_GROUP } from './model.js';

const SKIPPED_DIRS = new Set(['node_modules', 'testdata']);
const SKIPPED_FILES = new Set(['kclguard-test.yaml', 'kclguard-test.yml']);

export function isPolicyDocument(doc: Record<string, unknown>): boolean {
  return (
    (doc.kind === 'KCLRun' || doc.kind === 'ClusterKCLRun') &&
    typeof doc.apiVersion === 'string' &&
    doc.apiVersion.startsWith(`${KCLRUN_GROUP}/`)
  );
}

export function isNamespaceDocument(doc: Record<string, unknown>): boolean {
  return doc.kind === 'Namespace' && doc.apiVersion === 'v1';
}

/** Role, ClusterRole, RoleBinding, ClusterRoleBinding: local mode answers RBAC checks from them. */
export function isRbacDocument(doc: Record<string, unknown>): boolean {
  return typeof doc.apiVersion === 'string' && doc.apiVersion.startsWith(`${RBAC_API_GROUP}/`);
}

/**
 * Every `*.yaml` / `*.yml` below `dir`, sorted, and the directories walked. Hidden entries,
 * `node_modules`, `testdata` and `kclguard-test.yaml` files (test fixtures) are skipped. Throws
 * when `dir` itself cannot be read.
 */
export async function listPolicyFiles(dir: string): Promise<{ files: string[]; dirs: string[] }> {
  const files: string[] = [];
  const dirs: string[] = [];
  const walk = async (current: string, top: boolean): Promise<void> => {
    let entries;
    try {
      entries = await readdir(current, { withFileTypes: true });
    } catch (error) {
      // A subdirectory removed while walking is simply gone; the root must be readable.
      if (top) throw error;
      return;
    }
    dirs.push(current);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const path = join(current, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name)) await walk(path, false);
      } else if (/\.ya?ml$/.test(entry.name) && !SKIPPED_FILES.has(entry.name)) {
        files.push(path);
      }
    }
  };
  await walk(dir, true);
  return { files, dirs };
}

/** One revision of a policy file. */
export type FileRevision =
  /** Parsed; `incomplete` says why it may be a file caught mid-write (see parseRevision). */
  | { readonly kind: 'parsed'; readonly text: string; readonly docs: readonly unknown[]; readonly incomplete?: string }
  /** Read but not YAML; the reason starts with `file:line:col`. */
  | { readonly kind: 'invalid'; readonly text: string; readonly reason: string }
  | { readonly kind: 'unreadable'; readonly reason: string }
  | { readonly kind: 'missing' };

export async function readRevision(path: string): Promise<FileRevision> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'unreadable', reason: `cannot read ${path}: ${code ?? String(error)}` };
  }
  return parseRevision(path, text);
}

/**
 * Parses a file's text. A revision is `incomplete` when a document in it is not a whole
 * Kubernetes object (no apiVersion or kind: a file cut off at its first lines) or is a KCLRun,
 * ClusterKCLRun or Namespace without a name (cut off before it): such a revision does not show
 * what its author meant, and must not remove what an earlier revision defined.
 */
export function parseRevision(path: string, text: string): FileRevision {
  let docs: unknown[];
  try {
    docs = yaml.loadAll(text, undefined, { filename: path, schema: yaml.CORE_SCHEMA }).filter((d) => d !== null && d !== undefined);
  } catch (error) {
    const e = error as { reason?: string; mark?: { line: number; column: number } };
    const where = e.mark ? `${path}:${e.mark.line + 1}:${e.mark.column + 1}` : path;
    return { kind: 'invalid', text, reason: `${where}: invalid YAML: ${e.reason ?? String(error)}` };
  }
  const incomplete = docs.map((doc, index) => whyIncomplete(doc, index, docs.length)).find((why) => why !== undefined);
  return { kind: 'parsed', text, docs, ...(incomplete ? { incomplete } : {}) };
}

function whyIncomplete(doc: unknown, index: number, count: number): string | undefined {
  const which = count > 1 ? `document ${index + 1}` : 'the document';
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return `${which} is not a Kubernetes object`;
  const record = doc as Record<string, unknown>;
  if (typeof record.apiVersion !== 'string' || typeof record.kind !== 'string') return `${which} has no apiVersion or kind`;
  if (isPolicyDocument(record) || isNamespaceDocument(record)) {
    const name = (record.metadata as { name?: unknown } | undefined)?.name;
    if (typeof name !== 'string' || name === '') return `${which} (${record.kind}) has no metadata.name`;
  }
  return undefined;
}

/**
 * What the documents define, as `Kind/namespace/name` keys of their policies and Namespaces:
 * a revision that lacks a key of the previous one removes something.
 */
export function definedKeys(docs: readonly unknown[]): Set<string> {
  const keys = new Set<string>();
  for (const doc of docs) {
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) continue;
    const record = doc as Record<string, unknown>;
    if (!isPolicyDocument(record) && !isNamespaceDocument(record)) continue;
    const metadata = (record.metadata ?? {}) as { name?: unknown; namespace?: unknown };
    keys.add(`${String(record.kind)}/${String(metadata.namespace ?? '')}/${String(metadata.name ?? '')}`);
  }
  return keys;
}
