/** Runs a `kclguard <cmd>` main() in-process and captures what it writes. */
import { jest } from '@jest/globals';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI_ERRORS, type CliErrorCode } from '../../src/cli/errors.js';

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

/**
 * The code of the error line a command printed (`kclguard <command>: error C1003: ...`), after
 * checking that it is the only thing the command wrote on stderr (no stack trace, no second
 * message; the dispatcher alone follows it with the list of commands) and that the exit code is
 * the catalogue's for that code.
 */
export function cliErrorCode(captured: Captured, command: string | undefined): string {
  const [first = '', ...rest] = captured.err.split('\n');
  const match = /^kclguard(?: (\S+))?: error (C\d{4}): \S/.exec(first);
  const onlyLine = command === undefined || rest.join('') === '';
  if (!match || match[1] !== command || !onlyLine) {
    throw new Error(`expected one error line from kclguard${command ? ` ${command}` : ''}, got stderr: ${JSON.stringify(captured.err)}`);
  }
  const code = match[2] as CliErrorCode;
  if (!(code in CLI_ERRORS)) throw new Error(`${code} is not in the catalogue (src/cli/errors.ts)`);
  if (captured.code !== CLI_ERRORS[code].exitCode) throw new Error(`${code} must exit ${CLI_ERRORS[code].exitCode}, exited ${captured.code}`);
  return code;
}
