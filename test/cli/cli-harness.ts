/** Runs a `kclguard <cmd>` main() in-process and captures what it writes. */
import { jest } from '@jest/globals';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = relative(process.cwd(), join(dirname(fileURLToPath(import.meta.url)), 'fixtures')) || '.';
export const POLICIES_DIR = relative(process.cwd(), join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'policies'));

export function fixture(...parts: string[]): string {
  return join(FIXTURES, ...parts);
}

export interface Captured {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

export async function capture(run: () => Promise<number>): Promise<Captured> {
  let out = '';
  let err = '';
  const o = jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    out += String(s);
    return true;
  });
  const e = jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
    err += String(s);
    return true;
  });
  try {
    const code = await run();
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}
