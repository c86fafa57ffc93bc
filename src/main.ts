#!/usr/bin/env node
/**
 * kclguard's command line: wiring only. Each subcommand prints its own errors, never a stack
 * trace; this file dispatches and reports what no subcommand could (an unknown command, a module
 * that failed to load, a bug).
 */
import { COMMANDS, type CommandModule } from './cli/index.js';

const USAGE = `usage: kclguard <command> [flags]

commands:
${Object.entries(COMMANDS)
  .map(([name, command]) => `  ${name.padEnd(7)} ${command.summary}`)
  .join('\n')}
`;

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}

async function dispatch(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  const command = first === '--version' ? 'version' : first;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  const entry = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!entry) {
    process.stderr.write(`kclguard: unknown command '${command}'\n${USAGE}`);
    return 2;
  }
  let module: CommandModule;
  try {
    module = await entry.load();
  } catch (error) {
    // A broken installation (a file missing from dist/, a dependency not installed): say which.
    process.stderr.write(`kclguard: command '${command}' could not be loaded: ${firstLine(error)}\n`);
    if (process.env.KCLGUARD_DEBUG) console.error(error);
    return 70;
  }
  return module.main(rest);
}

dispatch(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // A bug in kclguard itself, not a user error: say so in one line, keep the detail for debugging.
    process.stderr.write(`kclguard: internal error: ${firstLine(err)}\n`);
    if (process.env.KCLGUARD_DEBUG) console.error(err);
    process.exitCode = 70;
  },
);
