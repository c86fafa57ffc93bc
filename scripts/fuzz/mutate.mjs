/**
 * Programs the fuzzer did not write itself: the conformance corpus's single-file cases
 * (test/conformance/<feature>/<case>/main.k), each changed by one to three small mutations — a
 * literal swapped for one of another type, an operator for another, a name for another name of
 * the program or an undefined one, a line dropped or repeated. Realistic programs slightly
 * wrong are where a checker and an evaluator most often part ways with the reference.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CORPUS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'conformance');
const KEYWORDS = new Set([
  'if', 'elif', 'else', 'for', 'in', 'not', 'and', 'or', 'is', 'lambda', 'schema', 'rule', 'check', 'mixin', 'protocol',
  'import', 'as', 'assert', 'type', 'all', 'any', 'map', 'filter', 'True', 'False', 'None', 'Undefined', 'str', 'int',
  'float', 'bool',
]);
const TOKEN = /("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|\d+\.\d+|\d+[a-zA-Z]*|[A-Za-z_][A-Za-z0-9_]*|\*\*|\/\/|==|!=|<=|>=|<<|>>|[-+*/%|&^<>~])/g;
const OPERATORS = ['+', '-', '*', '/', '//', '%', '**', '|', '&', '^', '<', '>', '==', '!=', '<=', '>=', '<<', '>>'];
const LITERALS = ['0', '1', '-2', '1.5', '"s"', '""', 'True', 'None', '[1]', '{a = 1}', '[]', '{}', 'Undefined', '"1"', '1Ki'];

let corpusCache;

/** The single-file corpus programs (package cases need their other files). */
function corpusPrograms() {
  if (corpusCache) return corpusCache;
  const out = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (!statSync(full).isDirectory()) continue;
      const main = join(full, 'main.k');
      if (!existsSync(main)) {
        walk(full);
        continue;
      }
      const onlyCaseFiles = readdirSync(full).every((f) => /^(main\.k|std(out|err)\.golden|options\.json|settings\.json)$/.test(f));
      if (onlyCaseFiles && !existsSync(join(full, 'options.json'))) out.push(readFileSync(main, 'utf8'));
    }
  };
  walk(CORPUS);
  corpusCache = out;
  return out;
}

function tokens(source) {
  const out = [];
  for (const m of source.matchAll(TOKEN)) out.push({ text: m[0], at: m.index });
  return out;
}

function mutateOnce(source, rand) {
  const pick = (list) => list[Math.floor(rand() * list.length)];
  const lines = source.split('\n');
  const kind = rand();
  if (kind < 0.1 && lines.length > 2) {
    const i = Math.floor(rand() * lines.length);
    lines.splice(i, 1);
    return lines.join('\n');
  }
  if (kind < 0.15) {
    const i = Math.floor(rand() * lines.length);
    lines.splice(i, 0, lines[i]);
    return lines.join('\n');
  }
  const toks = tokens(source).filter((t) => !source.slice(0, t.at).includes('#') || source.lastIndexOf('\n', t.at) > source.lastIndexOf('#', t.at));
  if (toks.length === 0) return source;
  const t = pick(toks);
  const names = [...new Set(toks.map((x) => x.text).filter((x) => /^[A-Za-z_]/.test(x) && !KEYWORDS.has(x)))];
  let replacement;
  if (OPERATORS.includes(t.text)) replacement = pick(OPERATORS);
  else if (/^[\d"']/.test(t.text)) replacement = pick(LITERALS);
  else if (KEYWORDS.has(t.text)) replacement = pick(['True', 'None', 'str', 'int', 'any', t.text]);
  else replacement = rand() < 0.7 && names.length > 1 ? pick(names) : pick(['undefined_name', 'len', 'x', 'a', ...LITERALS]);
  return source.slice(0, t.at) + replacement + source.slice(t.at + t.text.length);
}

/** A corpus program with one to three mutations, chosen by `seed`. */
export function mutateCorpusProgram(seed, prng) {
  const rand = prng(seed);
  const programs = corpusPrograms();
  let source = programs[Math.floor(rand() * programs.length)];
  const n = 1 + Math.floor(rand() * 3);
  for (let i = 0; i < n; i++) source = mutateOnce(source, rand);
  return source.endsWith('\n') ? source : `${source}\n`;
}
