/**
 * `oci://REGISTRY/REPOSITORY[:TAG][@sha256:DIGEST]`, as the OCI distribution spec and
 * the KCL package tooling write it. The first path segment is always the registry (as for
 * `kcl mod pull oci://...`); without a tag or digest the package's latest semantic-version tag
 * is meant, as the reference's tooling does.
 */
import { SourceError } from './errors.js';

export const OCI_SCHEME = 'oci://';

export interface OciReference {
  /** `host` or `host:port`, as written (lower-cased). */
  readonly registry: string;
  readonly repository: string;
  readonly tag?: string;
  /** `sha256:<64 hex>`. When set it decides the content; a tag beside it is only informative. */
  readonly digest?: string;
}

const HOST_LABEL = '[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?';
const HOST = new RegExp(`^(?:${HOST_LABEL}(?:\\.${HOST_LABEL})*|\\[[0-9a-fA-F:.]+\\])(?::([0-9]{1,5}))?$`);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const MAX_REPOSITORY = 255;

function invalid(text: string, why: string): SourceError {
  return new SourceError('S1001', `'${text.slice(0, 300)}' is not an OCI reference (${why}); expected oci://REGISTRY/REPOSITORY[:TAG|@sha256:DIGEST]`);
}

export function isOciReference(text: string): boolean {
  return text.startsWith(OCI_SCHEME);
}

/** Parses an `oci://` reference; throws SourceError S1001 naming what is wrong. */
export function parseOciReference(text: string): OciReference {
  if (!text.startsWith(OCI_SCHEME)) throw invalid(text, 'it does not start with oci://');
  let rest = text.slice(OCI_SCHEME.length);
  if (/\s/.test(rest)) throw invalid(text, 'it contains white space');
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw invalid(text, `the digest '${digest.slice(0, 80)}' is not sha256: followed by 64 lower-case hex digits`);
  }
  const slash = rest.indexOf('/');
  if (slash <= 0) throw invalid(text, 'it names no repository');
  const registry = rest.slice(0, slash).toLowerCase();
  const port = HOST.exec(registry);
  if (!port) throw invalid(text, `'${registry.slice(0, 100)}' is not a registry host[:port]`);
  if (port[1] !== undefined && (Number(port[1]) < 1 || Number(port[1]) > 65535)) throw invalid(text, `port ${port[1]} is out of range`);
  let path = rest.slice(slash + 1);
  let tag: string | undefined;
  const colon = path.lastIndexOf(':');
  if (colon >= 0) {
    tag = path.slice(colon + 1);
    path = path.slice(0, colon);
    if (!TAG.test(tag)) throw invalid(text, `'${tag.slice(0, 80)}' is not a valid tag`);
  }
  if (path.length === 0 || path.length > MAX_REPOSITORY) throw invalid(text, `the repository must have 1 to ${MAX_REPOSITORY} characters`);
  const bad = path.split('/').find((component) => !PATH_COMPONENT.test(component));
  if (bad !== undefined) throw invalid(text, `repository component '${bad.slice(0, 80)}' must be lower-case letters and digits separated by '.', '_', '__' or '-'`);
  return { registry, repository: path, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** The reference as text, `oci://` included. */
export function formatReference(ref: OciReference): string {
  return `${OCI_SCHEME}${ref.registry}/${ref.repository}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** The host part of `host:port` (brackets of an IPv6 literal removed). */
export function registryHost(registry: string): string {
  const bracket = /^\[(.*)\](?::\d+)?$/.exec(registry);
  if (bracket) return bracket[1]!;
  const colon = registry.lastIndexOf(':');
  return colon >= 0 ? registry.slice(0, colon) : registry;
}

/** Whether a host is this machine (where plain HTTP may be allowed): localhost, 127.0.0.0/8, ::1. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}
