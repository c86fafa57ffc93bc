/**
 * Bounds on what a registry can make kclguard download and hold. A policy's source is whatever
 * its author (or a compromised registry) publishes: every size is checked while reading, before
 * more is read, so a hostile answer costs at most these amounts.
 */
export interface SourceLimits {
  /** A manifest, a tag list or a token answer. Real KCL package manifests are about 1 KiB. */
  readonly maxManifestBytes: number;
  /** The package layer as downloaded (a tar, or a gzip-compressed tar). */
  readonly maxLayerBytes: number;
  /** The package's files once unpacked, all together (and a gzip layer once decompressed). */
  readonly maxUnpackedBytes: number;
  /**
   * One file of a package once unpacked. Real KCL files are far smaller (the largest of the
   * Kubernetes schema package is under 100 KiB); a file of megabytes is generated or hostile.
   */
  readonly maxFileBytes: number;
  /** Tar entries in one package (files and directories). */
  readonly maxFiles: number;
  /** Packages in one program: the source and its dependencies, transitive ones included. */
  readonly maxPackages: number;
  /** One HTTP exchange, from connecting to the last byte. */
  readonly requestTimeoutMs: number;
  /**
   * Asking a registry which digest one reference names, everything included: redirects, tag list
   * pages, the token exchange and the retry after a 401. Without it, a registry answering each of
   * those just before requestTimeoutMs would hold one reference for minutes (hours untagged).
   */
  readonly referenceCheckMs: number;
  /**
   * Fetching one package once its digest is known, everything included: the manifest, the
   * layer, and the access check a cached layer needs for another identity (each with their
   * redirects, token exchanges and retries). Without it, a registry answering each of those just
   * before requestTimeoutMs would hold one of the few pulls that run at once (pull-gate.ts) for
   * many minutes, and every other tenant's new package would wait behind it.
   */
  readonly packageFetchMs: number;
}

const MiB = 1024 * 1024;

/**
 * The Kubernetes schema package (722 files, 1.2 MiB of KCL) is a 5 MiB tar; these leave room for
 * a few times that and still stop a hostile package long before memory matters. The unpacked
 * limit also bounds how long decompressing one layer can take (16 MiB: tens of milliseconds);
 * a layer larger than it could only be a tar that fails it, so the download limit is the same.
 */
export const DEFAULT_SOURCE_LIMITS: SourceLimits = Object.freeze({
  maxManifestBytes: 1 * MiB,
  maxLayerBytes: 16 * MiB,
  maxUnpackedBytes: 16 * MiB,
  maxFileBytes: 4 * MiB,
  maxFiles: 5000,
  maxPackages: 32,
  requestTimeoutMs: 30_000,
  referenceCheckMs: 60_000,
  packageFetchMs: 60_000,
});
