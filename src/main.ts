#!/usr/bin/env node
/**
 * kclguard's command line: wiring only. Each subcommand lives in src/cli/<name>.ts and exports
 * `main(argv): Promise<number>` (the exit code); it prints its own errors, never a stack trace.
 */
const USAGE = `usage: kclguard <command> [flags]

commands:
  serve   run the admission webhook server
  run     run a KCL file like \`kcl run\`
  eval    evaluate policies against a resource offline
  test    run kclguard-test.yaml files and *_test.k tests
  check   compile KCLRun and .k files and print diagnostics
  fn      KRM function: ResourceList on stdin, ResourceList on stdout
`;

type CommandModule = { main(argv: string[]): Promise<number> };

const COMMANDS: Record<string, () => Promise<CommandModule>> = {
  serve: () => import('./cli/serve.js'),
  run: () => import('./cli/run.js'),
  eval: () => import('./cli/eval.js'),
  test: () => import('./cli/test.js'),
  check: () => import('./cli/check.js'),
  fn: () => import('./cli/fn.js'),
};

async function dispatch(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  const load = COMMANDS[command];
  if (!load) {
    process.stderr.write(`kclguard: unknown command '${command}'\n${USAGE}`);
    return 2;
  }
  let module: CommandModule;
  try {
    module = await load();
  } catch {
    process.stderr.write(`kclguard: command '${command}' is not available in this build\n`);
    return 2;
  }
  return module.main(rest);
}

dispatch(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // A bug in kclguard itself, not a user error: say so in one line, keep the detail for debugging.
    process.stderr.write(`kclguard: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
    if (process.env.KCLGUARD_DEBUG) console.error(err);
    process.exitCode = 70;
  },
);
