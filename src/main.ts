#!/usr/bin/env node
/**
 * kclguard's command line: wiring only. Each subcommand prints its own errors, never a stack
 * trace; this file dispatches and reports what no subcommand could (no or an unknown command, a
 * module that failed to load, a bug), with the codes of src/cli/errors.ts.
 */
import { CliError, COMMANDS, firstLine, reportCliError, type CommandModule } from './cli/index.js';

const USAGE = `usage: kclguard <command> [flags]

commands:
${Object.entries(COMMANDS)
  .map(([name, command]) => `  ${name.padEnd(7)} ${command.summary}`)
  .join('\n')}
`;

/** Reports an error of kclguard itself; KCLGUARD_DEBUG=1 adds the stack for a bug report. */
function reportBug(error: CliError, cause: unknown): number {
  const exitCode = reportCliError(undefined, error);
  if (process.env.KCLGUARD_DEBUG) console.error(cause);
  return exitCode;
}

async function dispatch(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  const command = first === '--version' ? 'version' : first;
  if (command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const entry = command !== undefined && Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!entry) {
    const exitCode = reportCliError(undefined, command === undefined ? new CliError('C1002', {}) : new CliError('C1001', { command }));
    process.stderr.write(USAGE);
    return exitCode;
  }
  let module: CommandModule;
  try {
    module = await entry.load();
  } catch (error) {
    // A broken installation (a file missing from dist/, a dependency not installed): say which.
    return reportBug(new CliError('C7001', { command: command!, reason: firstLine(error) }), error);
  }
  return module.main(rest);
}

dispatch(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // A bug in kclguard itself, not a user error: say so in one line, keep the detail for debugging.
    process.exitCode = reportBug(new CliError('C7002', { reason: firstLine(error) }), error);
  },
);
