/**
 * Watches a directory tree for changes in a way that survives the tree being deleted and
 * re-created (`kubectl cp`, rsync, an editor or a ConfigMap volume may do that). A watch is tied
 * to an inode, not a path: a re-created directory is a new inode that the old watch never sees.
 * So each directory's inode is checked whenever the tree is walked and watched anew when it
 * changed, and the root's parent is watched for the root coming back. A periodic full rescan is
 * the net under all of it (change events are not reliable on every file system).
 */
import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { EngineLogger } from './logger.js';

interface Watched {
  readonly watcher: FSWatcher;
  readonly inode: string;
}

export class TreeWatcher {
  private readonly watched = new Map<string, Watched>();
  private parent: FSWatcher | undefined;
  private rescan: NodeJS.Timeout | undefined;
  private closed = false;
  private syncing: Promise<boolean> = Promise.resolve(false);

  /**
   * @param onChange called for any change event (the caller debounces) and on every rescan tick.
   * @param rescanMs full-rescan period; 0 disables.
   */
  constructor(
    private readonly root: string,
    private readonly onChange: () => void,
    private readonly logger: EngineLogger,
    rescanMs: number,
  ) {
    if (rescanMs > 0) {
      this.rescan = setInterval(() => this.onChange(), rescanMs);
      this.rescan.unref();
    }
    this.watchParent();
  }

  /**
   * Watches exactly `dirs` (the directories of the last walk; empty when the root is gone).
   * Resolves true when a directory was newly watched: changes made in it between the walk and
   * now were not seen, so the caller should walk once more.
   */
  sync(dirs: readonly string[]): Promise<boolean> {
    // One at a time: two interleaved passes could both watch a directory and leak a watcher.
    const pass = this.syncing.then(() => this.syncOnce(dirs));
    this.syncing = pass.catch(() => false);
    return pass;
  }

  private async syncOnce(dirs: readonly string[]): Promise<boolean> {
    if (this.closed) return false;
    const wanted = new Set(dirs);
    for (const [dir, { watcher }] of this.watched) {
      if (!wanted.has(dir)) {
        watcher.close();
        this.watched.delete(dir);
      }
    }
    let added = false;
    for (const dir of wanted) {
      const inode = await inodeOf(dir);
      if (this.closed) return false;
      const current = this.watched.get(dir);
      if (current && current.inode === inode) continue;
      current?.watcher.close();
      this.watched.delete(dir);
      if (inode === undefined) continue; // gone since the walk; the next walk sees that
      try {
        const watcher = watch(dir, { persistent: false }, () => this.onChange());
        watcher.on('error', () => {
          watcher.close();
          if (this.watched.get(dir)?.watcher === watcher) this.watched.delete(dir);
          this.onChange();
        });
        this.watched.set(dir, { watcher, inode });
        added = true;
      } catch {
        // Vanished between the stat and the watch; the next walk sees that.
      }
    }
    if (!this.parent) this.watchParent();
    return added;
  }

  close(): void {
    this.closed = true;
    clearInterval(this.rescan);
    this.parent?.close();
    this.parent = undefined;
    for (const { watcher } of this.watched.values()) watcher.close();
    this.watched.clear();
  }

  /** The root's parent, for the root being removed or created again. */
  private watchParent(): void {
    if (this.closed) return;
    const name = basename(this.root);
    try {
      const watcher = watch(dirname(this.root), { persistent: false }, (_event, filename) => {
        if (filename === null || String(filename) === name) this.onChange();
      });
      watcher.on('error', () => {
        watcher.close();
        if (this.parent === watcher) this.parent = undefined;
      });
      this.parent = watcher;
    } catch (error) {
      this.logger.debug({ dir: dirname(this.root), err: String(error) }, 'cannot watch the parent of the policy directory; relying on the rescan');
    }
  }
}

async function inodeOf(dir: string): Promise<string | undefined> {
  try {
    const info = await stat(dir);
    return `${info.dev}:${info.ino}`;
  } catch {
    return undefined;
  }
}
