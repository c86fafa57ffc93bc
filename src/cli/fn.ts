/**
 * `kclguard fn`: a KRM function (kpt / kustomize exec function). Reads a ResourceList (YAML or
 * JSON) on stdin whose functionConfig is a KCLRun, runs its program once over every item as
 * krm-kcl does (author/krm-function.ts), and writes the ResourceList with the resulting items
 * and `results` to stdout in the input's format. Exit codes: 0 no error results, 1 a violation
 * or an aborting failure, 2 the input is not a ResourceList with a valid KCLRun functionConfig.
 */
import { CliError, FlagError, InputError, reportCliError } from './errors.js';
import { formatUsage, parseFlags } from './flags.js';
import { isObject, parseYamlDocs } from './author/files.js';
import { runFunction } from './author/krm-function.js';
import { dumpYaml } from './author/yaml-output.js';
import { isPolicyDocument } from './author/offline-engine.js';
import { offlineResolver, OFFLINE_SOURCE_FLAGS } from './source-flags.js';
import type { SourceResolver } from '../engine/index.js';
import { takeRepeated } from './author/args.js';
import { loadLookupObjects } from './author/lookup-files.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads the input (tests pass it directly instead of stdin). */
export async function main(argv: string[], input?: string): Promise<number> {
  let resolver: SourceResolver;
  let lookupPaths: string[];
  try {
    const taken = takeRepeated(argv, ['lookup']);
    lookupPaths = taken.repeated.lookup!;
    const flags = parseFlags(OFFLINE_SOURCE_FLAGS, taken.rest);
    if (flags.help) {
      process.stdout.write(
        `${formatUsage('fn', OFFLINE_SOURCE_FLAGS)}\nReads a ResourceList on stdin (functionConfig: a KCLRun), writes it to stdout.\n` +
          `repeatable: --lookup FILE|DIR  more objects kube.get / kube.list read (besides the ResourceList's items)\n` +
          `exit codes: 0 ok, 1 violation or aborting failure, 2 bad input\n`,
      );
      return 0;
    }
    if (flags.positionals.length > 0) throw new FlagError('C1007', { argument: flags.positionals[0]! });
    resolver = offlineResolver(flags.values);
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    return reportCliError('fn', error);
  }
  try {
    const text = input ?? (await readStdin());
    const docs = parseYamlDocs(text, '<stdin>');
    const list = docs[0];
    if (docs.length !== 1 || !isObject(list) || list.kind !== 'ResourceList') {
      throw new InputError('C2014', { source: '<stdin>' });
    }
    if (!isPolicyDocument(list.functionConfig)) {
      throw new InputError('C2015', { source: '<stdin>' });
    }
    const items = Array.isArray(list.items) ? list.items : [];
    const output = await runFunction(list.functionConfig as Record<string, unknown>, items, resolver, loadLookupObjects(lookupPaths));
    const resultList = { ...list, items: output.items, results: output.results };
    const json = text.trimStart().startsWith('{');
    process.stdout.write(json ? `${JSON.stringify(resultList, null, 2)}\n` : dumpYaml(resultList));
    return output.failed ? 1 : 0;
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    return reportCliError('fn', error);
  }
}
