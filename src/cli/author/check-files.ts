/**
 * What `kclguard check` finds: schema problems of KCLRun manifests (at the line of the offending
 * field), YAML syntax errors, KCL compile diagnostics mapped into the file the author edits (for
 * a KCLRun, the line of `spec.source`'s content plus the KCL line), and the diagnostics of `.k`
 * files compiled as the packages they belong to.
 */
import { ErrorCodes, compile, type Diagnostic } from '../../kcl/index.js';
import { isOciSource, kclCompiler, KUBE_MODULE, needsResolution, parsePolicy, type PolicyDefinition, type SourceResolver } from '../../engine/index.js';
import { isCliError } from '../errors.js';
import { parseYamlDocs, readText } from './files.js';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { compileKclFiles, KCL_TEST_SUFFIX, moduleFilesOf } from './kcl-packages.js';
import { testPackageFiles } from './kcl-tests.js';
import { isPolicyDocument } from './offline-engine.js';
import { remapDiagnostic, sourceSegments, splitYamlDocuments, type YamlDocument } from './source-map.js';

export interface CheckDiagnostic {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly endLine: number;
  readonly endCol: number;
  readonly severity: 'error';
  /** A KCL error code (E1001...), `schema/<issue code>` for manifest problems, or `yaml`. */
  readonly code: string;
  readonly message: string;
  /** The policy key (`namespace/name`, `cluster/name`) for KCLRun problems. */
  readonly policy?: string;
  readonly related?: readonly { readonly file: string; readonly line: number; readonly col: number; readonly message: string }[];
}

export interface FileCheck {
  readonly diagnostics: CheckDiagnostic[];
  readonly policies: number;
}

function fromKcl(d: Diagnostic, fallbackFile: string, policy?: string): CheckDiagnostic {
  const s = d.span;
  return {
    file: s?.file ?? fallbackFile,
    line: s?.line ?? 1,
    col: s?.col ?? 1,
    endLine: s?.endLine ?? s?.line ?? 1,
    endCol: s?.endCol ?? s?.col ?? 1,
    severity: 'error',
    code: d.code,
    message: `${ErrorCodes[d.code]}: ${d.message}`,
    ...(policy ? { policy } : {}),
    ...(d.related?.length ? { related: d.related.map((r) => ({ file: r.span.file, line: r.span.line, col: r.span.col, message: r.message })) } : {}),
  };
}

function at(file: string, line: number, col: number, code: string, message: string, policy?: string): CheckDiagnostic {
  return { file, line, col, endLine: line, endCol: col, severity: 'error', code, message, ...(policy ? { policy } : {}) };
}

/** The line of a dotted field path (`spec.selector.matchExpressions[0].values`) in a document, best effort. */
export function fieldLine(document: YamlDocument, field: string): number {
  let from = 0;
  let found = -1;
  for (const segment of field.replace(/\[\d+\]/g, '').split('.').filter(Boolean)) {
    const pattern = new RegExp(`^\\s*(- )?${segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*:`);
    const index = document.lines.findIndex((l, i) => i >= from && pattern.test(l));
    if (index < 0) break;
    found = index;
    from = index + 1;
  }
  return document.startLine + Math.max(found, 0);
}

/**
 * An oci:// source or one with dependencies: resolved (pulled) as the webhook would, then
 * compiled as the package it is. Diagnostics in pulled files name them (`/oci/<registry>/...`);
 * those in an inline source name the policy file's own lines.
 */
async function checkResolved(file: string, document: YamlDocument, policy: PolicyDefinition, resolver: SourceResolver | undefined): Promise<CheckDiagnostic[]> {
  const sourceLine = fieldLine(document, 'spec.source');
  if (!resolver) return [at(file, sourceLine, 1, 'source', 'oci:// sources and spec.dependencies need a source resolver', policy.identity.key)];
  const resolution = await resolver.resolve(policy);
  if (!resolution.ok) return [at(file, sourceLine, 1, `source/${resolution.error.slice(0, 5)}`, resolution.error, policy.identity.key)];
  const compiled = kclCompiler.compilePackage!(resolution.resolved);
  if (compiled.ok) return [];
  const inline = Object.keys(resolution.resolved.files).find((path) => path.endsWith(`/${policy.identity.key}.k`));
  const segments = inline ? sourceSegments(file, document, policy.spec.source) : undefined;
  return compiled.diagnostics.map((d) => fromKcl(segments && d.span?.file === inline ? remapDiagnostic(d, segments) : d, file, policy.identity.key));
}

async function checkYaml(file: string, named: boolean, resolver: SourceResolver | undefined): Promise<FileCheck> {
  const text = readText(file);
  try {
    parseYamlDocs(text, file);
  } catch (error) {
    if (!isCliError(error, 'C2003')) throw error;
    const { line, col, reason } = error.params;
    return { diagnostics: [at(file, Number(line), Number(col), 'yaml', `invalid YAML: ${reason}`)], policies: 0 };
  }
  const documents = splitYamlDocuments(text).filter((d) => isPolicyDocument(d.doc));
  if (documents.length === 0) {
    return { diagnostics: named ? [at(file, 1, 1, 'no-policy', 'no KCLRun or ClusterKCLRun (krm.kcl.dev/v1alpha1) in this file')] : [], policies: 0 };
  }
  const diagnostics: CheckDiagnostic[] = [];
  for (const document of documents) {
    const parsed = parsePolicy(document.doc, { origin: file });
    if (!parsed.ok) {
      const key = parsed.identity?.key;
      for (const issue of parsed.issues) diagnostics.push(at(file, fieldLine(document, issue.field), 1, `schema/${issue.code}`, issue.message, key));
      continue;
    }
    const { policy } = parsed;
    if (needsResolution(policy.spec)) diagnostics.push(...(await checkResolved(file, document, policy, resolver)));
    // The policy's source (unless it is a package, checked above), and its recovery program
    // (spec.recovery.source), each mapped back to where it sits in the file.
    const programs: [string | undefined, readonly string[]][] = [
      [needsResolution(policy.spec) ? undefined : policy.spec.source, ['source']],
      [policy.spec.recoverySource, ['recovery', 'source']],
    ];
    for (const [source, path] of programs) {
      if (source === undefined || isOciSource(source)) continue;
      // As the engine compiles a policy's programs: `import kube` resolves (calls are answered per run).
      const compiled = compile(source, file, { hostModules: [KUBE_MODULE] });
      if (compiled.ok) continue;
      const segments = sourceSegments(file, document, source, path);
      for (const d of compiled.diagnostics) diagnostics.push(fromKcl(remapDiagnostic(d, segments), file, policy.identity.key));
    }
  }
  return { diagnostics, policies: documents.length };
}

/**
 * The `.k` files of a directory, checked as the package module they form (so names defined in a
 * sibling file and imports resolve), and each `*_test.k` with its package. Diagnostics name the
 * file they are in (an imported module's too); each is reported once per `seen` set (a module
 * imported by several checked directories is also checked as a directory of its own).
 */
export function checkKclDirectory(dir: string, seen: Set<string> = new Set()): CheckDiagnostic[] {
  const modules = moduleFilesOf(dir);
  const tests = readdirSync(dir).filter((n) => n.endsWith(KCL_TEST_SUFFIX)).sort().map((n) => join(dir, n));
  const out: CheckDiagnostic[] = [];
  const add = (files: string[]): void => {
    const compiled = compileKclFiles(files);
    if (compiled.ok) return;
    for (const d of compiled.diagnostics) {
      const c = fromKcl(d, files[0]!);
      const key = `${c.file}:${c.line}:${c.col}:${c.code}:${c.message}`;
      if (!seen.has(key)) out.push(c);
      seen.add(key);
    }
  };
  if (modules.length > 0) add(modules);
  for (const test of tests) add(testPackageFiles(test));
  return out;
}

/** A KCLRun / YAML file. `named`: the user gave it explicitly (then a file without a policy is an error). */
export function checkFile(file: string, named: boolean, resolver?: SourceResolver): Promise<FileCheck> {
  return checkYaml(file, named, resolver);
}
