/**
 * Registry credentials as docker keeps them: a docker config file (`~/.docker/config.json`,
 * `$DOCKER_CONFIG/config.json`) or the `.dockerconfigjson` key of a Kubernetes Secret of type
 * kubernetes.io/dockerconfigjson — the same JSON: `{"auths": {"<registry>": {...}}}` with
 * `auth` (base64 `user:password`), `username`/`password`, `identitytoken` (an OAuth2 refresh
 * token) or `registrytoken` (a bearer token used as is). Credential helpers (`credsStore`,
 * `credHelpers`) run programs and are not supported: give the registry an `auths` entry.
 */
import { createHash } from 'node:crypto';
import { SourceError } from './errors.js';

export type RegistryCredential =
  | { readonly username: string; readonly password: string }
  | { readonly identityToken: string; readonly username?: string }
  | { readonly registryToken: string };

/** The credentials of a docker config, by normalised registry host[:port]. */
export type CredentialStore = ReadonlyMap<string, RegistryCredential>;

/** Docker Hub's entries are written under several names; they are one registry. */
const DOCKER_HUB = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** `https://host:port/v1/` or `host:port` -> `host:port` (lower case). */
export function normaliseRegistryKey(key: string): string {
  let k = key.trim().toLowerCase().replace(/^[a-z]+:\/\//, '');
  const slash = k.indexOf('/');
  if (slash >= 0) k = k.slice(0, slash);
  return DOCKER_HUB.has(k) ? 'docker.io' : k;
}

function credentialOf(entry: Record<string, unknown>, registry: string, where: string): RegistryCredential | undefined {
  const text = (key: string): string | undefined => (typeof entry[key] === 'string' && entry[key] !== '' ? (entry[key] as string) : undefined);
  const registryToken = text('registrytoken');
  if (registryToken) return { registryToken };
  const identityToken = text('identitytoken');
  if (identityToken) return { identityToken, ...(text('username') ? { username: text('username')! } : {}) };
  const username = text('username');
  const password = text('password');
  if (username !== undefined && password !== undefined) return { username, password };
  const auth = text('auth');
  if (auth === undefined) return undefined;
  const decoded = Buffer.from(auth, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new SourceError('S4001', `${where}: the auth entry for ${registry} is not base64 of user:password`);
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Parses docker config JSON; `where` names it in messages (a file, a Secret). */
export function parseDockerConfig(json: string, where: string): CredentialStore {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch {
    throw new SourceError('S4001', `${where} is not JSON`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new SourceError('S4001', `${where} is not a JSON object`);
  const auths = (doc as { auths?: unknown }).auths;
  const store = new Map<string, RegistryCredential>();
  if (auths === undefined) return store;
  if (typeof auths !== 'object' || auths === null || Array.isArray(auths)) throw new SourceError('S4001', `${where}: "auths" is not an object`);
  for (const [key, entry] of Object.entries(auths as Record<string, unknown>)) {
    if (typeof entry !== 'object' || entry === null) continue;
    const registry = normaliseRegistryKey(key);
    const credential = credentialOf(entry as Record<string, unknown>, registry, where);
    if (credential && !store.has(registry)) store.set(registry, credential);
  }
  return store;
}

/** A short, stable identity of a credential (never the secret itself), for cache keys and logs. */
export function credentialFingerprint(credential: RegistryCredential | undefined): string {
  if (!credential) return 'anonymous';
  return createHash('sha256').update(JSON.stringify(credential)).digest('hex').slice(0, 16);
}

/**
 * Who a registry decides access for: registry, repository and credential (its fingerprint). A
 * token is scoped to it (registry-client.ts), and so is a cached layer's reuse (package-puller.ts).
 */
export function accessIdentity(target: { readonly registry: string; readonly repository: string }, fingerprint: string): string {
  return `${target.registry}\u0000${target.repository}\u0000${fingerprint}`;
}
