/**
 * The command table: each subcommand lives in src/cli/<name>.ts and exports
 * `main(argv): Promise<number>` (the exit code). Loaded on demand, so `kclguard run` does not pay
 * for the server's modules.
 */
export type CommandModule = { main(argv: string[]): Promise<number> };

export const COMMANDS: Readonly<Record<string, { readonly summary: string; readonly load: () => Promise<CommandModule> }>> = {
  serve: { summary: 'run the admission webhook server', load: () => import('./serve.js') },
  run: { summary: 'run a KCL file like `kcl run`', load: () => import('./run.js') },
  eval: { summary: 'evaluate policies against a resource offline', load: () => import('./eval.js') },
  test: { summary: 'run kclguard-test.yaml files and *_test.k tests', load: () => import('./test.js') },
  check: { summary: 'compile KCLRun and .k files and print diagnostics', load: () => import('./check.js') },
  fn: { summary: 'KRM function: ResourceList on stdin, ResourceList on stdout', load: () => import('./fn.js') },
  report: { summary: 'background audit offline: existing objects against Validate policies, as a table or PolicyReports', load: () => import('./report.js') },
  version: { summary: 'print the version and the build (also: kclguard --version)', load: () => import('./version.js') },
};

export { CliError, firstLine, reportCliError } from './errors.js';
