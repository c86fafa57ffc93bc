/**
 * For the parser's tests: parse while counting the tokens the parser reads, so how much work a
 * parse does is measured by a counter instead of a clock (a loaded machine cannot change it), and
 * a read budget turns a parser that would loop forever into a test failure instead of a hang.
 * (`${...}` interpolations are parsed by inner parsers over their own tokens; those reads are not
 * counted.)
 */
import type { Stmt } from '../ast.js';
import type { Diagnostic } from '../diagnostics.js';
import { lex } from '../lexer/lexer.js';
import { Parser } from './parser.js';
import { parseModuleBody } from './statements.js';

export interface CountedParse {
  readonly body: Stmt[];
  readonly diagnostics: Diagnostic[];
  /** Tokens the lexer produced, the final `eof` included. */
  readonly tokens: number;
  /** Reads of a token by the parser (`tok`, `peek`, `next`...). */
  readonly reads: number;
}

export class ReadBudgetExceeded extends Error {}

export function parseCountingReads(source: string, filename: string, budget?: (tokens: number) => number): CountedParse {
  const lexed = lex(source, filename);
  const limit = budget ? budget(lexed.tokens.length) : Infinity;
  let reads = 0;
  const counted = new Proxy(lexed.tokens, {
    get(target, property, receiver) {
      if (typeof property === 'string' && property !== '' && property.charCodeAt(0) >= 48 && property.charCodeAt(0) <= 57) {
        if (++reads > limit) throw new ReadBudgetExceeded(`the parser read more than ${limit} tokens of ${target.length}`);
      }
      return Reflect.get(target, property, receiver);
    },
  });
  const diagnostics = [...lexed.diagnostics];
  const body = parseModuleBody(new Parser(source, filename, counted, diagnostics));
  return { body, diagnostics, tokens: lexed.tokens.length, reads };
}
