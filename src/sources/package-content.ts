/**
 * From a pulled package layer to the files the compiler reads. Only what compiling needs is
 * kept — `.k` files and `kcl.mod` — as text; everything else in the archive (README, examples,
 * images) is dropped after it was counted against the limits. A package archived with its
 * directory as the top entry (`tar cf pkg.tar pkg/`) is accepted as well as the way
 * `kcl mod push` archives it (entries relative to the package directory).
 */
import { parseKclMod, type KclMod } from '../kcl/index.js';
import { SourceError } from './errors.js';
import { readTar, type TarLimits } from './tar.js';

export interface PackageContent {
  /** Path relative to the package root -> text. */
  readonly files: Readonly<Record<string, string>>;
  /** The parsed kcl.mod, when the package has one. */
  readonly mod?: KclMod;
  /** Total characters, for cache accounting. */
  readonly size: number;
}

const KEPT = /(^|\/)kcl\.mod$|\.k$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The directory every entry is under when the archive wraps the package in one, else ''. */
function wrapperDirectory(paths: readonly string[]): string {
  if (paths.includes('kcl.mod')) return '';
  const tops = new Set(paths.map((p) => (p.includes('/') ? p.slice(0, p.indexOf('/')) : '')));
  if (tops.size !== 1) return '';
  const [top] = tops;
  return top && paths.includes(`${top}/kcl.mod`) ? `${top}/` : '';
}

export async function unpackPackage(layer: Buffer, limits: TarLimits, describe: string): Promise<PackageContent> {
  const entries = await readTar(layer, limits);
  const prefix = wrapperDirectory(entries.map((e) => e.path));
  const files: Record<string, string> = Object.create(null) as Record<string, string>;
  let size = 0;
  for (const entry of entries) {
    if (!entry.path.startsWith(prefix)) continue;
    const path = entry.path.slice(prefix.length);
    if (!KEPT.test(path)) continue;
    let text: string;
    try {
      text = utf8.decode(entry.data);
    } catch {
      throw new SourceError('S3003', `${describe}: ${path} is not UTF-8 text`);
    }
    files[path] = text;
    size += text.length;
  }
  if (!Object.keys(files).some((p) => p.endsWith('.k'))) {
    throw new SourceError('S3003', `${describe} holds no .k file: it is not a KCL package`);
  }
  // A kcl.mod that does not parse is left to the compiler, whose diagnostic names its line:col;
  // its dependencies are then not resolved.
  const parsed = files['kcl.mod'] === undefined ? undefined : parseKclMod(files['kcl.mod'], 'kcl.mod');
  const mod = parsed?.ok ? parsed.mod : undefined;
  return { files, ...(mod ? { mod } : {}), size };
}
