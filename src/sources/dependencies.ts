/**
 * kcl.mod dependencies as OCI references, the way the reference's tooling maps them (kpm's
 * FillDepInfo / downloader): a registry package `k8s = "1.31"` is
 * `oci://<DefaultOciRegistry>/<DefaultOciRepo>/k8s:1.31` (by default
 * `oci://ghcr.io/kcl-lang/k8s:1.31`; kpm reads KPM_REG / KPM_REPO, kclguard a flag), and
 * `{ oci = "oci://host/repo", tag = "x" }` is that repository at that tag (no tag: the latest
 * version). `path` dependencies are files of the package itself (left to the compiler); `git`
 * dependencies are not fetched by kclguard.
 */
import { parseKclMod, type Dependency } from '../kcl/index.js';
import { SourceError } from './errors.js';
import { parseOciReference, type OciReference } from './reference.js';

/** Where registry packages (`name = "version"`) live: a registry and a repository prefix. */
export interface KclRegistry {
  readonly registry: string;
  readonly repository: string;
}

export const DEFAULT_KCL_REGISTRY: KclRegistry = Object.freeze({ registry: 'ghcr.io', repository: 'kcl-lang' });

/** `host[:port]/prefix` (e.g. `ghcr.io/kcl-lang`, `127.0.0.1:5000/kcl`). */
export function parseKclRegistry(text: string): KclRegistry {
  const trimmed = text.trim().replace(/^oci:\/\//, '').replace(/\/+$/, '');
  const probe = parseOciReference(`oci://${trimmed}/probe`);
  if (probe.tag !== undefined || probe.digest !== undefined) throw new SourceError('S1001', `'${text}' must be REGISTRY/REPOSITORY-PREFIX, without a tag or digest`);
  return { registry: probe.registry, repository: probe.repository.slice(0, -'/probe'.length) };
}

/** The OCI reference of a version or OCI dependency; undefined for path dependencies. */
export function dependencyReference(dep: Dependency, defaults: KclRegistry): OciReference | undefined {
  if (dep.path !== undefined) return undefined;
  if (dep.git !== undefined) {
    throw new SourceError('S1002', `dependency '${dep.name}' comes from git (${dep.git.slice(0, 200)}); kclguard fetches dependencies only from OCI registries — publish it with kcl mod push, or vendor it into the package (kcl mod vendor)`);
  }
  const tag = dep.tag ?? dep.version;
  if (dep.oci !== undefined) {
    let base: OciReference;
    try {
      base = parseOciReference(dep.oci);
    } catch (error) {
      throw new SourceError('S1002', `dependency '${dep.name}': ${(error as SourceError).detail}`);
    }
    if (base.digest !== undefined || base.tag !== undefined) return base;
    return { registry: base.registry, repository: base.repository, ...(tag !== undefined ? { tag } : {}) };
  }
  const text = `oci://${defaults.registry}/${defaults.repository}/${dep.name}${tag !== undefined ? `:${tag}` : ''}`;
  try {
    return parseOciReference(text);
  } catch (error) {
    throw new SourceError('S1002', `dependency '${dep.name}' = "${tag ?? ''}" does not name a package in the KCL registry: ${(error as SourceError).detail}`);
  }
}

/**
 * spec.dependencies: the body of a kcl.mod `[dependencies]` table (krm-kcl's field). Errors
 * name the line within the field.
 */
export function parseDependencyText(text: string): Dependency[] {
  // The table header is optional: krm-kcl's examples write only the entries.
  const hasHeader = /^\s*\[dependencies\]/.test(text);
  const parsed = parseKclMod(hasHeader ? text : `[dependencies]\n${text}`, 'spec.dependencies');
  if (!parsed.ok) {
    const d = parsed.diagnostics[0]!;
    const line = Math.max(1, (d.span?.line ?? 2) - (hasHeader ? 0 : 1));
    throw new SourceError('S1002', `spec.dependencies line ${line}: ${d.message.replace(/^invalid kcl\.mod: /, '')}`);
  }
  return [...parsed.mod.dependencies.values()];
}
