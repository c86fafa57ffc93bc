// Small formats: manifests, WWW-Authenticate challenges, docker config credentials, version tags.
import { describe, expect, it } from '@jest/globals';
import { parseChallenge, tokenFromAnswer } from './auth-challenge.js';
import { credentialFingerprint, normaliseRegistryKey, parseDockerConfig } from './credentials.js';
import { SourceError } from './errors.js';
import { latestVersionTag } from './latest-tag.js';
import { MEDIA_TYPES, parsePackageManifest } from './manifest.js';

const LAYER = { mediaType: MEDIA_TYPES.kclPackage, digest: `sha256:${'b'.repeat(64)}`, size: 10240, annotations: { 'org.opencontainers.image.title': 'p_0.1.0.tar' } };

function manifest(doc: unknown): Buffer {
  return Buffer.from(JSON.stringify(doc));
}

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return (error as SourceError).code;
  }
}

describe('package manifests', () => {
  it('reads the manifest kcl mod push writes (artifactType, empty config, one tar layer, kcllang annotations)', () => {
    // As oras PackManifest v1.1 writes it for kpm's PushWithOciManifest.
    const parsed = parsePackageManifest(
      manifest({
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.ociManifest,
        artifactType: MEDIA_TYPES.kclPackage,
        config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: `sha256:${'4'.repeat(64)}`, size: 2 },
        layers: [LAYER],
        annotations: { 'org.kcllang.package.name': 'p', 'org.kcllang.package.version': '0.1.0', 'org.kcllang.package.sum': 'x' },
      }),
      undefined,
      'p',
    );
    expect(parsed).toEqual({ layer: LAYER, name: 'p', version: '0.1.0' });
  });

  it('reads older kpm manifests (artifact type as the config media type) and Docker v2 manifests', () => {
    const old = { schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config: { mediaType: MEDIA_TYPES.kclPackage, digest: LAYER.digest, size: 2 }, layers: [LAYER] };
    expect(parsePackageManifest(manifest(old), undefined, 'p').layer).toEqual(LAYER);
    const docker = { schemaVersion: 2, layers: [{ ...LAYER, mediaType: MEDIA_TYPES.dockerGzipLayer }] };
    expect(parsePackageManifest(manifest(docker), MEDIA_TYPES.dockerManifest, 'p').layer.mediaType).toBe(MEDIA_TYPES.dockerGzipLayer);
  });

  it.each([
    ['an image index', { schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: [] }, 'S3003'],
    ['no package layer', { schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, layers: [{ ...LAYER, mediaType: 'application/json' }] }, 'S3003'],
    ['two package layers', { schemaVersion: 2, layers: [LAYER, { ...LAYER, digest: `sha256:${'c'.repeat(64)}` }] }, 'S3003'],
    ['a layer digest that is not sha256', { schemaVersion: 2, layers: [{ ...LAYER, digest: 'sha256:../../x' }] }, 'S3003'],
    ['a negative size', { schemaVersion: 2, layers: [{ ...LAYER, size: -1 }] }, 'S3003'],
    ['schema version 1', { schemaVersion: 1, layers: [LAYER] }, 'S3003'],
    ['an unknown manifest type', { schemaVersion: 2, mediaType: 'text/html', layers: [LAYER] }, 'S3003'],
  ])('refuses %s', (_what, doc, code) => {
    expect(codeOf(() => parsePackageManifest(manifest(doc), undefined, 'p'))).toBe(code);
  });

  it('refuses an answer that is not JSON as a protocol error', () => {
    expect(codeOf(() => parsePackageManifest(Buffer.from('<html>'), undefined, 'p'))).toBe('S2004');
  });
});

describe('WWW-Authenticate', () => {
  it('parses Bearer and Basic challenges', () => {
    expect(parseChallenge('Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:kcl-lang/k8s:pull"')).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://ghcr.io/token', service: 'ghcr.io', scope: 'repository:kcl-lang/k8s:pull' },
    });
    expect(parseChallenge('Basic realm="Registry Realm"')).toEqual({ scheme: 'basic', params: { realm: 'Registry Realm' } });
    expect(parseChallenge(undefined)).toBeUndefined();
    expect(parseChallenge('Bearer realm="a\\"b",realm="second"')!.params.realm).toBe('a"b');
  });

  it('takes the token from token or access_token, and refuses one with a line break', () => {
    expect(tokenFromAnswer(Buffer.from('{"token":"t","expires_in":300}'))).toEqual({ token: 't', expiresInSeconds: 300 });
    expect(tokenFromAnswer(Buffer.from('{"access_token":"a"}'))).toEqual({ token: 'a' });
    expect(tokenFromAnswer(Buffer.from('{"token":"a\\r\\nX-Injected: 1"}'))).toBeUndefined();
    expect(tokenFromAnswer(Buffer.from('nope'))).toBeUndefined();
  });
});

describe('docker config credentials', () => {
  it('reads auth, username/password, identitytoken and registrytoken entries under normalised registry names', () => {
    const store = parseDockerConfig(
      JSON.stringify({
        auths: {
          'https://index.docker.io/v1/': { auth: Buffer.from('hub:secret').toString('base64') },
          '127.0.0.1:5000': { username: 'u', password: 'p:with:colons' },
          'https://ghcr.io': { identitytoken: 'refresh' },
          'registry.example/v2/': { registrytoken: 'bearer' },
          'empty.example': {},
        },
        credHelpers: { 'gcr.io': 'gcloud' },
      }),
      'config.json',
    );
    expect(store.get('docker.io')).toEqual({ username: 'hub', password: 'secret' });
    expect(store.get('127.0.0.1:5000')).toEqual({ username: 'u', password: 'p:with:colons' });
    expect(store.get('ghcr.io')).toEqual({ identityToken: 'refresh' });
    expect(store.get('registry.example')).toEqual({ registryToken: 'bearer' });
    expect(store.has('empty.example')).toBe(false);
    expect(normaliseRegistryKey('HTTPS://Registry-1.Docker.io/v2/')).toBe('docker.io');
  });

  it('refuses JSON that is not a docker config, and an auth that is not user:password (S4001)', () => {
    expect(codeOf(() => parseDockerConfig('{', 'x'))).toBe('S4001');
    expect(codeOf(() => parseDockerConfig('{"auths": []}', 'x'))).toBe('S4001');
    expect(codeOf(() => parseDockerConfig(JSON.stringify({ auths: { h: { auth: Buffer.from('nocolon').toString('base64') } } }), 'x'))).toBe('S4001');
  });

  it('fingerprints credentials without revealing them', () => {
    const a = credentialFingerprint({ username: 'u', password: 'p' });
    expect(a).toMatch(/^[a-f0-9]{16}$/);
    expect(a).not.toBe(credentialFingerprint({ username: 'u', password: 'q' }));
    expect(credentialFingerprint(undefined)).toBe('anonymous');
  });
});

describe('the latest version tag', () => {
  it('picks the highest version, a release above its pre-releases, ignoring other tags', () => {
    expect(latestVersionTag(['0.1.0', '0.10.0', '0.9.9', 'latest'])).toBe('0.10.0');
    expect(latestVersionTag(['1.31', '1.30.2', 'v1.29.0'])).toBe('1.31');
    expect(latestVersionTag(['1.0.0-rc.1', '1.0.0', '1.0.0-rc.2'])).toBe('1.0.0');
    expect(latestVersionTag(['1.0.0-rc.2', '1.0.0-rc.10', '0.9'])).toBe('1.0.0-rc.10');
    expect(latestVersionTag(['main', 'latest'])).toBeUndefined();
  });
});
