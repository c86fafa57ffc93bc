import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TreeWatcher } from './directory-watch.js';
import { silentLogger } from './logger.js';

afterEach(() => {
  jest.useRealTimers();
});

describe('TreeWatcher', () => {
  it('rescans periodically, as a net for change events that never came', () => {
    jest.useFakeTimers();
    let changes = 0;
    const watcher = new TreeWatcher(join(tmpdir(), 'kclguard-no-such-dir'), () => (changes += 1), silentLogger, 30_000);
    jest.advanceTimersByTime(90_000);
    expect(changes).toBe(3);
    watcher.close();
    jest.advanceTimersByTime(90_000);
    expect(changes).toBe(3);
  });
});
