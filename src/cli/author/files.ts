/**
 * Reading the author's files: YAML (or JSON) documents from files and directories. Every
 * problem becomes a coded InputError (src/cli/errors.ts) whose one-line message names the path
 * (and line:col for YAML syntax errors), so a command can print it and exit 2 without a stack
 * trace.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { InputError } from '../errors.js';

function errnoText(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (code ?? String(error));
}

export function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new InputError('C2001', { path, reason: errnoText(error) });
  }
}

/** All documents of a YAML text (empty documents dropped); YAML errors as `path:line:col: reason`. */
export function parseYamlDocs(text: string, path: string): unknown[] {
  try {
    return yaml.loadAll(text).filter((d) => d !== null && d !== undefined);
  } catch (error) {
    const mark = error instanceof yaml.YAMLException ? (error.mark as { line?: number; column?: number } | undefined) : undefined;
    const reason = error instanceof yaml.YAMLException ? error.reason : String(error);
    throw new InputError('C2003', { path, line: (mark?.line ?? 0) + 1, col: (mark?.column ?? 0) + 1, reason });
  }
}

export function readYamlDocs(path: string): unknown[] {
  return parseYamlDocs(readText(path), path);
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The one Kubernetes object a file holds (`what` says what it is for, in the message). */
export function readSingleObject(path: string, what: string): Record<string, unknown> {
  const docs = readYamlDocs(path);
  if (docs.length !== 1) throw new InputError('C2004', { path, what: `the ${what} file`, count: docs.length });
  const doc = docs[0];
  if (!isObject(doc) || typeof doc.apiVersion !== 'string' || typeof doc.kind !== 'string') {
    throw new InputError('C2005', { path, what });
  }
  return doc;
}

const YAML_FILE = /\.ya?ml$/i;

/**
 * Files below `path` (or `path` itself) accepted by `accept`, sorted. Skipped below `path`, as
 * the server's policy directory loader does: hidden entries, `node_modules/` and `testdata/`
 * (fixtures that are meant to be broken). A skipped directory named explicitly is still read.
 */
export function walkFiles(path: string, accept: (name: string) => boolean): string[] {
  let stat;
  try {
    stat = statSync(path);
  } catch (error) {
    throw new InputError('C2001', { path, reason: errnoText(error) });
  }
  if (!stat.isDirectory()) return [path];
  const out: string[] = [];
  const visit = (dir: string): void => {
    const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules' || entry.name === 'testdata') continue;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) visit(full);
      else if (accept(entry.name)) out.push(full);
    }
  };
  visit(path);
  return out;
}

/** Every document of every YAML file of a file or directory, with the file it came from. */
export function readManifests(path: string): { doc: unknown; origin: string }[] {
  return walkFiles(path, (name) => YAML_FILE.test(name)).flatMap((file) => readYamlDocs(file).map((doc) => ({ doc, origin: file })));
}
