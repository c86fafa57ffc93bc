/**
 * The OCI manifest of a KCL package as `kcl mod push` writes it (kpm's PushWithOciManifest:
 * oras PackManifest v1.1): an image manifest with `artifactType`
 * `application/vnd.oci.image.layer.v1.tar`, an empty config, ONE layer of that media type (the
 * package tar, titled `<name>_<version>.tar`), and the annotations `org.kcllang.package.name`,
 * `.version`, `.description` and `.sum`. Older kpm releases put the artifact type in the
 * config's media type instead; Docker v2 manifests and gzip layers are read too.
 */
import { SourceError } from './errors.js';

export const MEDIA_TYPES = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  /** kpm's DEFAULT_OCI_ARTIFACT_TYPE, also the package layer's media type. */
  kclPackage: 'application/vnd.oci.image.layer.v1.tar',
  gzipLayer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  dockerGzipLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

/** What the client asks for: manifests only; an index is recognised to say why it is refused. */
export const MANIFEST_ACCEPT = [MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest, MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerManifestList].join(', ');

export const PACKAGE_ANNOTATIONS = {
  name: 'org.kcllang.package.name',
  version: 'org.kcllang.package.version',
  title: 'org.opencontainers.image.title',
} as const;

const LAYER_TYPES = new Set<string>([MEDIA_TYPES.kclPackage, MEDIA_TYPES.gzipLayer, MEDIA_TYPES.dockerGzipLayer]);
const DIGEST = /^sha256:[a-f0-9]{64}$/;

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface PackageManifest {
  /** The layer holding the package archive. */
  readonly layer: Descriptor;
  /** org.kcllang.package.name / .version, when the publisher set them. */
  readonly name?: string;
  readonly version?: string;
}

function invalid(describe: string, why: string): SourceError {
  return new SourceError('S3003', `${describe}: ${why}`);
}

function descriptorOf(value: unknown, describe: string): Descriptor {
  const d = value as Partial<Descriptor> | null;
  if (typeof d !== 'object' || d === null || typeof d.mediaType !== 'string' || typeof d.digest !== 'string' || typeof d.size !== 'number') {
    throw invalid(describe, 'a layer descriptor lacks mediaType, digest or size');
  }
  if (!DIGEST.test(d.digest)) throw invalid(describe, `a layer's digest is not a sha256 digest`);
  if (!Number.isSafeInteger(d.size) || d.size < 0) throw invalid(describe, "a layer's size is not a non-negative integer");
  const annotations = typeof d.annotations === 'object' && d.annotations !== null ? (d.annotations as Record<string, string>) : undefined;
  return { mediaType: d.mediaType, digest: d.digest, size: d.size, ...(annotations ? { annotations } : {}) };
}

const isArchiveTitle = (d: Descriptor): boolean => /\.(tar|tgz|tar\.gz)$/.test(d.annotations?.[PACKAGE_ANNOTATIONS.title] ?? '');

/** Reads a manifest's bytes; `contentType` is the registry's Content-Type header, if any. */
export function parsePackageManifest(bytes: Buffer, contentType: string | undefined, describe: string): PackageManifest {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new SourceError('S2004', `${describe}: the manifest is not JSON`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new SourceError('S2004', `${describe}: the manifest is not a JSON object`);
  const mediaType = typeof doc.mediaType === 'string' ? doc.mediaType : (contentType ?? '').split(';')[0]!.trim();
  if (mediaType === MEDIA_TYPES.ociIndex || mediaType === MEDIA_TYPES.dockerManifestList || Array.isArray(doc.manifests)) {
    throw invalid(describe, 'it is an image index (a multi-platform image), not a KCL package');
  }
  if (doc.schemaVersion !== 2) throw invalid(describe, 'the manifest is not schemaVersion 2');
  if (mediaType !== '' && mediaType !== MEDIA_TYPES.ociManifest && mediaType !== MEDIA_TYPES.dockerManifest) {
    throw invalid(describe, `unexpected manifest media type '${mediaType.slice(0, 100)}'`);
  }
  if (!Array.isArray(doc.layers)) throw invalid(describe, 'the manifest has no layers');
  const layers = doc.layers.map((l) => descriptorOf(l, describe));
  let candidates = layers.filter((l) => LAYER_TYPES.has(l.mediaType));
  if (candidates.length > 1) candidates = candidates.filter(isArchiveTitle);
  if (candidates.length !== 1) {
    throw invalid(
      describe,
      candidates.length === 0
        ? `it has no layer of media type ${MEDIA_TYPES.kclPackage} (is it a KCL package pushed with kcl mod push?)`
        : 'it has several package layers; a KCL package has one',
    );
  }
  const annotations = (typeof doc.annotations === 'object' && doc.annotations !== null ? doc.annotations : {}) as Record<string, unknown>;
  const text = (key: string): string | undefined => (typeof annotations[key] === 'string' ? (annotations[key] as string) : undefined);
  const name = text(PACKAGE_ANNOTATIONS.name);
  const version = text(PACKAGE_ANNOTATIONS.version);
  return { layer: candidates[0]!, ...(name !== undefined ? { name } : {}), ...(version !== undefined ? { version } : {}) };
}
