/**
 * A reference without a tag or digest means the package's latest version, as the reference's
 * tooling resolves it (kpm's TheLatestTag): the highest of the repository's tags that are
 * versions (`1.31`, `0.1.3`, `v1.2.3`, `1.0.0-rc.1`; a pre-release ranks below its release).
 * Tags that are not versions (`latest`, `main`) are not candidates.
 */
const VERSION = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

interface Version {
  readonly numbers: readonly [number, number, number];
  readonly pre?: readonly string[];
}

function parse(tag: string): Version | undefined {
  const m = VERSION.exec(tag);
  if (!m) return undefined;
  const numbers = [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)] as const;
  if (!numbers.every(Number.isSafeInteger)) return undefined;
  return { numbers, ...(m[4] !== undefined ? { pre: m[4].split('.') } : {}) };
}

function comparePre(a: readonly string[] | undefined, b: readonly string[] | undefined): number {
  if (!a || !b) return a ? -1 : b ? 1 : 0;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined || y === undefined) return x === undefined ? -1 : 1;
    const nx = /^\d+$/.test(x);
    const ny = /^\d+$/.test(y);
    if (nx && ny && Number(x) !== Number(y)) return Number(x) - Number(y);
    if (nx !== ny) return nx ? -1 : 1;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function compare(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) if (a.numbers[i] !== b.numbers[i]) return a.numbers[i]! - b.numbers[i]!;
  return comparePre(a.pre, b.pre);
}

/** The latest version among the tags, or undefined when none is a version. */
export function latestVersionTag(tags: readonly string[]): string | undefined {
  let best: { tag: string; version: Version } | undefined;
  for (const tag of tags) {
    const version = parse(tag);
    if (version && (!best || compare(version, best.version) > 0)) best = { tag, version };
  }
  return best?.tag;
}
