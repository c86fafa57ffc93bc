#!/usr/bin/env node
/**
 * Differential fuzzer of kclguard's KCL against the reference KCL (PyPI kcl-lib 0.13.2):
 * generates programs (scripts/fuzz/generate.mjs) and mutates the corpus's (scripts/fuzz/
 * mutate.mjs), runs each through both (the reference in one
 * long-lived Python process, kclguard in this one), and prints how often they agree:
 *
 *   valid programs   (the reference accepts them): same output
 *   refused programs (the reference refuses them): same error code
 *
 * A divergence is shrunk (scripts/fuzz/reduce.mjs) to a small program that still diverges the
 * same way, and written to the output directory as `<n>/main.k` plus what each side did: ready
 * to be added to the conformance corpus (docs/conformance.md, "Adding a case").
 *
 *   npm run fuzz:kcl                                   # a bounded campaign (500 programs)
 *   npm run fuzz:kcl -- --count 2000 --seed 7          # more programs, another seed
 *   npm run fuzz:kcl -- --out /tmp/found --no-reduce   # where divergences go; keep them as found
 *   npm run fuzz:kcl -- --source corpus                # only mutated corpus programs (or: generated)
 *   npm run fuzz:kcl -- --file cases.k                 # run given programs (separated by ----)
 *
 * Not part of `npm test`: it needs the reference (installed on first use by
 * scripts/install-kcl-reference.sh) and takes minutes. See docs/conformance.md, "Fuzzing".
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { generateProgram, prng } from './fuzz/generate.mjs';
import { mutateCorpusProgram } from './fuzz/mutate.mjs';
import { judge, divergenceClass, runOurs } from './fuzz/outcome.mjs';
import { reduce } from './fuzz/reduce.mjs';
import { Reference } from './fuzz/reference.mjs';

function parseArgs(argv) {
  const args = { count: 500, seed: 1, out: join(tmpdir(), 'kclguard-fuzz'), reduce: true, file: undefined, verbose: false, source: 'both' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--count') args.count = Number(argv[++i]);
    else if (a === '--seed') args.seed = Number(argv[++i]);
    else if (a === '--out') args.out = argv[++i];
    else if (a === '--file') args.file = argv[++i];
    else if (a === '--no-reduce') args.reduce = false;
    else if (a === '--source') args.source = argv[++i];
    else if (a === '--verbose' || a === '-v') args.verbose = true;
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

/** Program `i` of a campaign: generated, or a mutated corpus program (alternately for `both`). */
function program(args, i) {
  const seed = args.seed * 1_000_003 + i;
  const corpus = args.source === 'corpus' || (args.source === 'both' && i % 2 === 1);
  return corpus ? mutateCorpusProgram(seed, prng) : generateProgram(seed);
}

const percent = (n, d) => (d === 0 ? 'n/a' : `${((100 * n) / d).toFixed(1)}%`);

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const reference = new Reference();
  const programs = args.file
    ? readFileSync(args.file, 'utf8').split(/\n----\n/).map((s) => s.trim() + '\n')
    : Array.from({ length: args.count }, (_, i) => program(args, i));
  const counts = {};
  const found = new Map();
  for (const [i, source] of programs.entries()) {
    const ref = await reference.run(source);
    const ours = runOurs(source);
    const { verdict, detail } = judge(ref, ours);
    counts[verdict] = (counts[verdict] ?? 0) + 1;
    if (args.file || args.verbose) {
      if (args.file || !verdict.endsWith('same')) {
        const said = ref.ok ? 'ok' : ref.hung ? 'hung' : ref.errors.map((e) => `${e.code ?? e.kind}@${e.locations.map((l) => l.join(':')).join(',')}`).join(' ');
        const ourSaid = ours.ok ? 'ok' : `${ours.error.code}@${ours.error.line}:${ours.error.col} ${ours.error.message}`;
        console.log(`#${i} ${verdict}\n  reference: ${said}\n  kclguard:  ${ourSaid}`);
      }
    }
    if (verdict.endsWith('same') || verdict === 'reference-hung' || args.file) continue;
    const cls = divergenceClass(ref, ours);
    if (found.has(cls)) continue;
    const small = args.reduce ? await reduce(source, cls, reference) : source;
    found.set(cls, { source: small, detail });
  }
  reference.close();
  const valid = (counts['valid-same'] ?? 0) + (counts['valid-differs'] ?? 0) + (counts['valid-refused'] ?? 0);
  const refused = (counts['error-same'] ?? 0) + (counts['error-differs'] ?? 0) + (counts['error-missed'] ?? 0);
  console.log(`fuzz:kcl: ${programs.length} programs (seed ${args.seed}, ${args.file ? args.file : `source ${args.source}`})`);
  console.log(`  valid programs:   ${valid}, same output ${percent(counts['valid-same'] ?? 0, valid)} (differs ${counts['valid-differs'] ?? 0}, refused by kclguard ${counts['valid-refused'] ?? 0})`);
  console.log(`  refused programs: ${refused}, same error code ${percent(counts['error-same'] ?? 0, refused)} (other code ${counts['error-differs'] ?? 0}, accepted by kclguard ${counts['error-missed'] ?? 0})`);
  if (counts['reference-hung']) console.log(`  the reference did not finish ${counts['reference-hung']} (not counted)`);
  if (found.size > 0) {
    mkdirSync(args.out, { recursive: true });
    let n = 0;
    for (const [cls, { source, detail }] of found) {
      const dir = join(args.out, String(++n));
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'main.k'), source);
      writeFileSync(join(dir, 'divergence.txt'), `${cls}\n${detail ?? ''}\n`);
    }
    console.log(`  ${found.size} kinds of divergence, reduced, in ${args.out}/<n>/main.k`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
