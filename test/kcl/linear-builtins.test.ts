/**
 * One builtin call is one uninterruptible piece of work: the interpreter reads its clock only
 * between steps, so a call that does quadratic work on a string of a few hundred kilobytes
 * overruns any time budget by itself. These inputs made the quadratic versions run for tens of
 * seconds to minutes (a backtracking regular expression, a scan of `chars` per character, a
 * rescan of the template per `${`); done in linear time each takes milliseconds.
 *
 * Timed, unlike the other guardrail tests (which count steps), because what is tested is the
 * running time of one call: each program runs in a child process that is killed after 60 s,
 * and each must finish within 3 s — far above the linear versions' worst case on a loaded
 * machine, far below the quadratic versions' best. Runs the built library.
 */
import { describe, expect, test } from '@jest/globals';
import { runInChild } from '../support/kcl-child.js';

const LINEAR_LIMIT_MS = 3000;

describe('builtins do linear work in one call', () => {
  test.each([
    ['strip with a long chars', '_s = "a" * 400000\n_c = "b" * 3000000 + "a"\na = len(_s.strip(_c)) + len(_s.lstrip(_c)) + len(_s.rstrip(_c))', 'ok'],
    ['rsplit(None, 1) after a run of spaces', 'a = (" " * 300000 + "a b c").rsplit(None, 1)', 'ok'],
    ['split(None, 1) before a run of spaces', 'a = len(("a b c" + " " * 300000 + "x").split(None, 1))', 'ok'],
    ['split of a run of spaces and a maxsplit', 'a = len(("a " + " " * 300000 + "b" + " " * 300000).rsplit(None, 1))', 'ok'],
    ['splitlines of carriage returns', 'a = len(("\\r" * 300000).splitlines())', 'ok'],
    ['base32.decode of a run of "=" that does not end the text', 'import base32\na = base32.decode("=" * 300000 + "A")', 'E3M38'],
    ['base64.decode of a run of "="', 'import base64\na = base64.decode("=" * 300000 + "A")', 'E3M38'],
    ['regex.replace with a template of many "${"', 'import regex\na = len(regex.replace("a", "a", "\\${" * 300000))', 'ok'],
    ['float() of digits followed by a letter', 'a = float("9" * 300000 + "x")', 'E3M38'],
    ['yaml.decode of digits followed by a letter', 'import yaml\na = len(yaml.decode("9" * 300000 + "x"))', 'ok'],
    ['yaml.decode of a million-digit integer', 'import yaml\na = yaml.decode("9" * 1000000)', 'ok'],
    ['json.decode of a million-digit integer', 'import json\na = json.decode("9" * 1000000)', 'ok'],
    ['int() of a million-digit quantity', 'a = int("9" * 1000000 + "Gi")', 'ok'],
  ])('%s', (_name, program, expected) => {
    const [run] = runInChild([program], { maxSteps: 1e12, timeoutMs: 60_000 });
    expect(run!.code).toBe(expected);
    expect(run!.ms).toBeLessThan(LINEAR_LIMIT_MS);
  });
});
