/**
 * The layout of docs/architecture.md, enforced: imports between the top-level folders of src/ go
 * only through the target folder's index.ts, never run up a floor, and src/kcl stays free of
 * Kubernetes, HTTP, metrics, logging, the network and the file system. Imports are read with the
 * TypeScript compiler API (static imports, re-exports and dynamic import() of string literals).
 */
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'src');

/**
 * Floors: a folder may import folders on lower floors only (and itself). Keep in sync with the
 * table in docs/architecture.md.
 */
export const FLOORS: Readonly<Record<string, number>> = {
  kcl: 0,
  engine: 1,
  sources: 1,
  admission: 2,
  cluster: 2,
  observability: 2,
  audit: 3,
  server: 3,
  cli: 4,
  'main.ts': 5,
};

/** Packages src/kcl must not import: it knows nothing of Kubernetes, HTTP, metrics or I/O. */
const KCL_FORBIDDEN = [/^express$/, /^@kubernetes\//, /^prom-client$/, /^pino$/, /^undici$/, /^node:(fs|fs\/promises|http|https|http2|net|tls|dgram|dns|child_process|worker_threads)$/];

function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) files.push(...sourceFiles(path));
    else if (path.endsWith('.ts')) files.push(path);
  }
  return files;
}

function importsOf(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const specifiers: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      specifiers.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) {
      specifiers.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return specifiers;
}

/** The top-level folder of src/ a path is in (`main.ts` for src/main.ts). */
function folderOf(path: string): string {
  return relative(SRC, path).split(sep)[0]!;
}

const isTest = (file: string): boolean => /\.test\.ts$/.test(file) || file.split(sep).includes('testing');

interface Violation {
  readonly file: string;
  readonly imports: string;
  readonly rule: string;
}

function violations(): Violation[] {
  const found: Violation[] = [];
  for (const file of sourceFiles(SRC)) {
    const from = folderOf(file);
    const shown = relative(ROOT, file);
    for (const specifier of importsOf(file)) {
      if (!specifier.startsWith('.')) {
        // Tests beside the interpreter may read fixtures; the interpreter itself may not.
        if (from === 'kcl' && !isTest(file) && KCL_FORBIDDEN.some((pattern) => pattern.test(specifier))) {
          found.push({ file: shown, imports: specifier, rule: 'src/kcl imports no Kubernetes, HTTP, metrics, logging, network or file system module' });
        }
        continue;
      }
      const target = resolve(dirname(file), specifier);
      const to = folderOf(target);
      if (to === from || to.startsWith('..')) continue;
      // Tests and test doubles may reach into another folder's internals (and its testing/ helpers).
      if (isTest(file)) continue;
      if (!(to in FLOORS)) {
        found.push({ file: shown, imports: specifier, rule: `folder src/${to} has no floor in FLOORS (docs/architecture.md)` });
        continue;
      }
      if (relative(join(SRC, to), target) !== 'index.js') {
        found.push({ file: shown, imports: specifier, rule: `import src/${to} through src/${to}/index.ts only` });
      }
      if (FLOORS[to]! >= FLOORS[from]!) {
        found.push({ file: shown, imports: specifier, rule: `src/${from} (floor ${FLOORS[from]}) may not import src/${to} (floor ${FLOORS[to]})` });
      }
    }
  }
  return found;
}

describe('architecture', () => {
  it('has a floor for every folder of src/', () => {
    for (const entry of readdirSync(SRC)) expect(FLOORS).toHaveProperty([entry]);
  });

  it('imports other folders only through their index.ts, never up a floor, and keeps src/kcl free of I/O', () => {
    expect(violations()).toEqual([]);
  });

  it('documents every floor in docs/architecture.md', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'architecture.md'), 'utf8');
    for (const folder of Object.keys(FLOORS)) {
      expect(doc).toContain(folder === 'main.ts' ? '`src/main.ts`' : `\`src/${folder}/\``);
    }
  });
});
