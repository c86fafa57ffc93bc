/**
 * How a KCL package reaches the compiler. src/kcl never touches a file system or a network: the
 * caller hands in a PackageLoader (the CLI an fs-backed one, OCI sources an in-memory one built
 * from a pulled artifact). Paths are POSIX-style strings ('/'-separated); the loader decides
 * what they mean. A loader answers `undefined` for what does not exist and never throws for that.
 */

export interface DirEntry {
  readonly name: string;
  readonly isDirectory: boolean;
}

export interface PackageLoader {
  /** The entries of a directory, or undefined when `path` is not a directory. */
  readDir(path: string): readonly DirEntry[] | undefined;
  /** The text of a file, or undefined when `path` is not a file. */
  readFile(path: string): string | undefined;
}

/**
 * A loader over a map of path -> text (what an OCI artifact unpacks to). Directories are
 * implied by the paths of their files; paths are normalised, so `a/./b.k` and `a/b.k` are one.
 */
export function memoryLoader(files: Readonly<Record<string, string>> | ReadonlyMap<string, string>): PackageLoader {
  const texts = new Map<string, string>();
  const dirs = new Map<string, Map<string, boolean>>();
  const entries = files instanceof Map ? [...files.entries()] : Object.entries(files);
  for (const [rawPath, text] of entries) {
    const path = normalizePath(rawPath);
    texts.set(path, text);
    let child = path;
    for (let dir = dirname(path); ; dir = dirname(dir)) {
      let listing = dirs.get(dir);
      if (!listing) dirs.set(dir, (listing = new Map()));
      listing.set(basename(child), child !== path);
      if (dir === child || dir === '/' || dir === '.' || dir === '') break;
      child = dir;
    }
  }
  return {
    readDir(path) {
      const listing = dirs.get(normalizePath(path));
      if (!listing) return undefined;
      return [...listing].map(([name, isDirectory]) => ({ name, isDirectory }));
    },
    readFile(path) {
      return texts.get(normalizePath(path));
    },
  };
}

/** Resolves `.` and `..` segments and repeated slashes; keeps a leading `/`. */
export function normalizePath(path: string): string {
  const absolute = path.startsWith('/');
  const out: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!absolute) out.push('..');
      continue;
    }
    out.push(segment);
  }
  const joined = out.join('/');
  return absolute ? `/${joined}` : joined === '' ? '.' : joined;
}

export function joinPath(...parts: string[]): string {
  let out = '';
  for (const part of parts) {
    if (part === '') continue;
    out = part.startsWith('/') || out === '' ? part : `${out}/${part}`;
  }
  return normalizePath(out === '' ? '.' : out);
}

export function dirname(path: string): string {
  const p = normalizePath(path);
  const i = p.lastIndexOf('/');
  if (i < 0) return '.';
  return i === 0 ? '/' : p.slice(0, i);
}

export function basename(path: string): string {
  const p = normalizePath(path);
  return p.slice(p.lastIndexOf('/') + 1);
}

/** `path` relative to `from` (both normalised), for diagnostics that name files briefly. */
export function relativePath(from: string, path: string): string {
  const a = normalizePath(from).split('/').filter((s) => s !== '' && s !== '.');
  const b = normalizePath(path).split('/').filter((s) => s !== '' && s !== '.');
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const rel = [...a.slice(i).map(() => '..'), ...b.slice(i)].join('/');
  return rel === '' ? '.' : rel;
}
