/**
 * The file-system PackageLoader the CLI hands to the KCL compiler (src/kcl never reads files
 * itself), and where the reference's package tooling keeps downloaded dependencies.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { PackageLoader } from '../../kcl/index.js';

export const fsLoader: PackageLoader = {
  readDir(path) {
    try {
      return readdirSync(path, { withFileTypes: true }).map((e) => ({
        name: e.name,
        // A symlink to a directory counts as one, as the reference follows links.
        isDirectory: e.isDirectory() || (e.isSymbolicLink() && statSync(join(path, e.name), { throwIfNoEntry: false })?.isDirectory() === true),
      }));
    } catch {
      return undefined;
    }
  },
  readFile(path) {
    try {
      return statSync(path).isFile() ? readFileSync(path, 'utf8') : undefined;
    } catch {
      return undefined;
    }
  },
};

/** `$KCL_PKG_PATH`, else `~/.kcl/kpm`: where `kcl mod add` / `kcl mod download` put packages. */
export function referencePackageHome(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return env.KCL_PKG_PATH || join(homedir(), '.kcl', 'kpm');
}
