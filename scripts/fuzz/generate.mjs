/**
 * A generator of KCL programs for the differential fuzzer: expressions of every kind, list and
 * dict comprehensions, quantifiers, schemas (defaults, optional attributes, inheritance, index
 * signatures, check blocks) and their instances, unions, string formatting and methods,
 * builtins, lambdas, `if` statements and asserts. It tracks the kind of each variable it
 * defines, so most programs are valid; about a third carry one deliberate mistake (a type
 * mismatch, an unknown name or attribute, a bad call, a reassigned variable...), so both the
 * reference's compile-time checks and its run-time errors are exercised. Deterministic: the
 * same seed gives the same program.
 */

/** mulberry32: a small seeded PRNG. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KINDS = ['int', 'float', 'str', 'bool', 'ints', 'strs', 'dict'];
const WORDS = ['a', 'b', 'web', 'app', 'x-1', 'Hello', 'k8s', '', 'a,b', 'v1.2'];

class Gen {
  constructor(seed) {
    this.random = prng(seed);
    this.vars = [];
    this.schemas = [];
    this.lines = [];
    this.counter = 0;
    this.imports = new Set();
  }

  rand(n) {
    return Math.floor(this.random() * n);
  }

  chance(p) {
    return this.random() < p;
  }

  pick(list) {
    return list[this.rand(list.length)];
  }

  fresh(prefix = 'v') {
    return `${prefix}${this.counter++}`;
  }

  varOf(kind) {
    const found = this.vars.filter((v) => v.kind === kind);
    return found.length > 0 ? this.pick(found).name : undefined;
  }

  intLit() {
    return this.pick(['0', '1', '2', '3', '7', '10', '-1', '-5', '100', '42']);
  }

  strLit() {
    return JSON.stringify(this.pick(WORDS));
  }

  /** An expression of the given kind, at most `depth` operators deep. */
  expr(kind, depth = 2) {
    const v = this.varOf(kind);
    if (v && this.chance(0.35)) return v;
    if (depth <= 0) return this.literal(kind);
    const d = depth - 1;
    switch (kind) {
      case 'int':
        return this.pick([
          () => this.literal('int'),
          () => `${this.expr('int', d)} ${this.pick(['+', '-', '*'])} ${this.expr('int', d)}`,
          () => `${this.expr('int', d)} ${this.pick(['//', '%'])} ${this.pick(['2', '3', '7'])}`,
          () => `len(${this.expr(this.pick(['ints', 'strs', 'str', 'dict']), d)})`,
          () => `abs(${this.expr('int', d)})`,
          () => `int(${this.pick([this.expr('float', d), '"12"', this.expr('bool', d)])})`,
          () => `${this.expr('int', d)} if ${this.expr('bool', d)} else ${this.expr('int', d)}`,
          () => `${this.pick(['-', '~'])}${this.expr('int', 0)}`,
          () => `${this.expr('int', d)} ${this.pick(['&', '|', '^', '<<', '>>'])} ${this.pick(['1', '2', '3'])}`,
          () => `sum(${this.expr('ints', d)})`,
          () => `max(${this.expr('int', d)}, ${this.expr('int', d)})`,
          () => `min(${this.expr('ints', d)} + [${this.intLit()}])`,
          () => `${this.expr('int', 0)} ** ${this.pick(['0', '1', '2', '3'])}`,
          () => `${this.expr('str', d)}.find(${this.strLit()})`,
          () => `${this.expr('str', d)}.count(${this.strLit()})`,
          () => `round(${this.expr('float', d)})`,
        ])();
      case 'float':
        return this.pick([
          () => this.literal('float'),
          () => `${this.expr('int', d)} / ${this.pick(['2', '4', '3'])}`,
          () => `${this.expr('float', d)} ${this.pick(['+', '-', '*'])} ${this.expr(this.pick(['int', 'float']), d)}`,
          () => `float(${this.expr('int', d)})`,
          () => `round(${this.expr('float', d)}, ${this.pick(['1', '2'])})`,
          () => `${this.expr('float', d)} if ${this.expr('bool', d)} else ${this.expr('float', d)}`,
        ])();
      case 'str':
        return this.pick([
          () => this.literal('str'),
          () => `"${this.pick(['pre-', '', 'x'])}\${${this.expr(this.pick(KINDS), d)}}${this.pick(['', '-post', '!'])}"`,
          () => `"{}-{}".format(${this.expr(this.pick(KINDS), d)}, ${this.expr(this.pick(KINDS), d)})`,
          () => `${this.expr('str', d)}.${this.pick(['upper', 'lower', 'strip', 'capitalize', 'title'])}()`,
          () => `${this.expr('str', d)} + ${this.expr('str', d)}`,
          () => `str(${this.expr(this.pick(KINDS), d)})`,
          () => `${this.strLit()}.join(${this.expr('strs', d)})`,
          () => `${this.expr('str', d)}[${this.pick(['0:2', '1:', ':-1', '::2'])}]`,
          () => `${this.expr('str', d)}.replace(${this.strLit()}, ${this.strLit()})`,
          () => `${this.expr('str', d)} * ${this.pick(['0', '1', '2'])}`,
          () => `typeof(${this.expr(this.pick(KINDS), d)})`,
          () => `${this.expr('str', d)} if ${this.expr('bool', d)} else ${this.expr('str', d)}`,
          () => `"${'$'}{${this.expr(this.pick(['dict', 'ints']), d)}: #json}"`,
        ])();
      case 'bool':
        return this.pick([
          () => this.literal('bool'),
          () => `${this.expr('int', d)} ${this.pick(['<', '<=', '>', '>=', '==', '!='])} ${this.expr('int', d)}`,
          () => `${this.expr('str', d)} ${this.pick(['==', '!='])} ${this.expr('str', d)}`,
          () => `${this.expr('int', d)} in ${this.expr('ints', d)}`,
          () => `${this.strLit()} in ${this.expr(this.pick(['strs', 'dict', 'str']), d)}`,
          () => `not ${this.expr('bool', d)}`,
          () => `${this.expr('bool', d)} ${this.pick(['and', 'or'])} ${this.expr('bool', d)}`,
          () => `${this.expr('str', d)}.startswith(${this.strLit()})`,
          () => `all x in ${this.expr('ints', d)} { x > ${this.intLit()} }`,
          () => `any s in ${this.expr('strs', d)} { s == ${this.strLit()} }`,
          () => `isunique(${this.expr('ints', d)})`,
          () => `multiplyof(${this.expr('int', d)}, ${this.pick(['2', '3'])})`,
          () => `${this.expr(this.pick(KINDS), d)} ${this.pick(['is', 'is not'])} None`,
          () => `bool(${this.expr(this.pick(KINDS), d)})`,
        ])();
      case 'ints':
        return this.pick([
          () => this.literal('ints'),
          () => `[x ${this.pick(['*', '+', '-'])} ${this.intLit()} for x in ${this.expr('ints', d)}${this.chance(0.4) ? ` if x ${this.pick(['>', '<', '!='])} ${this.intLit()}` : ''}]`,
          () => `range(${this.pick(['3', '0', '5', '1, 6', '10, 0, -3'])})`,
          () => `sorted(${this.expr('ints', d)}${this.chance(0.3) ? ', reverse=True' : ''})`,
          () => `${this.expr('ints', d)} + ${this.expr('ints', d)}`,
          () => `${this.expr('ints', d)}[${this.pick(['1:', ':2', '::-1'])}]`,
          () => `map x in ${this.expr('ints', d)} { x * 2 }`,
          () => `filter x in ${this.expr('ints', d)} { x > ${this.intLit()} }`,
          () => `[*${this.expr('ints', d)}, ${this.intLit()}]`,
          () => `[if ${this.expr('bool', d)}: ${this.intLit()} else: ${this.intLit()}]`,
          () => `[len(s) for s in ${this.expr('strs', d)}]`,
          () => `${this.expr('ints', d)} | ${this.expr('ints', d)}`,
        ])();
      case 'strs':
        return this.pick([
          () => this.literal('strs'),
          () => `[s.upper() for s in ${this.expr('strs', d)}]`,
          () => `${this.expr('str', d)}.split(${this.pick(['","', '"-"', ''])})`,
          () => `[str(i) for i in ${this.expr('ints', d)}]`,
          () => `sorted(${this.expr('strs', d)})`,
          () => `[k for k in ${this.expr('dict', d)}]`,
          () => `filter s in ${this.expr('strs', d)} { s != ${this.strLit()} }`,
        ])();
      case 'dict':
        return this.pick([
          () => this.literal('dict'),
          () => `{str(x): x for x in ${this.expr('ints', d)}}`,
          () => `${this.expr('dict', d)} | ${this.expr('dict', d)}`,
          () => `{**${this.expr('dict', d)}, ${this.key()} = ${this.expr('int', d)}}`,
          () => `{${this.key()} = ${this.expr('int', d)}, if ${this.expr('bool', d)}: ${this.key()} = ${this.intLit()}}`,
          () => `{k: v * 2 for k, v in ${this.expr('dict', d)}}`,
          () => `filter k, v in ${this.expr('dict', d)} { v > ${this.intLit()} }`,
        ])();
      default:
        return this.literal(kind);
    }
  }

  key() {
    return this.pick(['a', 'b', 'c', 'name', 'x', '"k-1"']);
  }

  literal(kind) {
    switch (kind) {
      case 'int':
        return this.intLit();
      case 'float':
        return this.pick(['1.5', '0.0', '-2.25', '3.0', '1e3', '0.1']);
      case 'str':
        return this.strLit();
      case 'bool':
        return this.pick(['True', 'False']);
      case 'ints':
        return `[${Array.from({ length: this.rand(4) }, () => this.intLit()).join(', ')}]`;
      case 'strs':
        return `[${Array.from({ length: this.rand(4) }, () => this.strLit()).join(', ')}]`;
      case 'dict':
        return `{${Array.from({ length: this.rand(3) + 1 }, (_, i) => `${['a', 'b', 'c'][i]} = ${this.intLit()}`).join(', ')}}`;
      default:
        return 'None';
    }
  }

  /** A wrong expression for a kind: what a mistake looks like. */
  wrong(kind) {
    const other = this.pick(KINDS.filter((k) => k !== kind && !(kind === 'float' && k === 'int')));
    return this.expr(other, 1);
  }

  typeOf(kind) {
    return { int: 'int', float: 'float', str: 'str', bool: 'bool', ints: '[int]', strs: '[str]', dict: '{str:int}' }[kind];
  }

  // ---------------------------------------------------------------- statements

  assign() {
    const kind = this.pick(KINDS);
    const name = this.fresh(this.chance(0.3) ? '_v' : 'v');
    const annotated = this.chance(0.3);
    const value = this.mistake ? this.wrong(kind) : this.expr(kind, 2);
    this.lines.push(`${name}${annotated ? `: ${this.typeOf(kind)}` : ''} = ${value}`);
    if (!this.mistake || !annotated) this.vars.push({ name, kind });
  }

  schema() {
    const name = `S${this.counter++}`;
    const base = this.schemas.length > 0 && this.chance(0.25) ? this.pick(this.schemas) : undefined;
    const attrs = [];
    const lines = [`schema ${name}${base ? `(${base.name})` : ''}:`];
    if (this.chance(0.15)) lines.push('    [str]: int');
    const n = 1 + this.rand(3);
    for (let i = 0; i < n; i++) {
      const kind = this.pick(['int', 'str', 'bool', 'ints', 'float']);
      const attr = { name: `f${i}${name.toLowerCase()}`, kind, optional: this.chance(0.3), dflt: this.chance(0.4) };
      attrs.push(attr);
      const dflt = attr.dflt ? ` = ${this.literal(kind)}` : '';
      lines.push(`    ${attr.name}${attr.optional ? '?' : ''}: ${this.typeOf(kind)}${dflt}`);
    }
    if (this.chance(0.3)) {
      const a = this.pick(attrs);
      lines.push(`    ${this.fresh('_t')} = ${a.name}`);
    }
    if (this.chance(0.5)) {
      lines.push('    check:');
      const ints = attrs.filter((a) => a.kind === 'int');
      const strs = attrs.filter((a) => a.kind === 'str');
      if (ints.length > 0) lines.push(`        ${ints[0].name} ${this.pick(['>=', '<', '!='])} ${this.intLit()}${this.chance(0.5) ? `, "${ints[0].name} out of range"` : ''}`);
      else if (strs.length > 0) lines.push(`        len(${strs[0].name}) ${this.pick(['>', '<'])} ${this.pick(['0', '3'])}`);
      else lines.push(`        ${attrs[0].name} ${this.pick(['!= None', 'is not None'])}`);
    }
    this.lines.push(lines.join('\n'));
    this.schemas.push({ name, attrs: [...(base ? base.attrs : []), ...attrs], indexed: lines.some((l) => l.includes('[str]')) });
  }

  instance() {
    if (this.schemas.length === 0) return this.schema();
    const s = this.pick(this.schemas);
    const given = s.attrs.filter((a) => !a.optional && !a.dflt || this.chance(0.4));
    const entries = given.map((a) => `${a.name} = ${this.expr(a.kind, 1)}`);
    if (this.mistake) {
      const m = this.rand(3);
      if (m === 0 && entries.length > 0) entries.pop();
      else if (m === 1) entries.push(`unknown${this.rand(9)} = 1`);
      else if (given.length > 0) entries[0] = `${given[0].name} = ${this.wrong(given[0].kind)}`;
    }
    const name = this.fresh('inst');
    const annotated = this.chance(0.25);
    const value = annotated && this.chance(0.5) ? `{${entries.join(', ')}}` : `${s.name} {${entries.join(', ')}}`;
    this.lines.push(`${name}${annotated ? `: ${s.name}` : ''} = ${value}`);
    this.vars.push({ name, kind: `inst:${s.name}` });
    if (this.chance(0.5) && s.attrs.length > 0) {
      const a = this.pick(s.attrs);
      this.lines.push(`${this.fresh('v')} = ${name}.${this.mistake && this.chance(0.3) ? 'missing' : a.name}`);
    }
  }

  lambda() {
    const kind = this.pick(['int', 'str']);
    const name = this.fresh('fn');
    const typed = this.chance(0.5);
    this.lines.push(`${name} = lambda x${typed ? `: ${kind}` : ''}, y = ${this.literal(kind)} { x + y }`);
    const args = this.mistake ? this.pick([`${this.literal(kind)}, 1, 2`, '', this.wrong(kind)]) : this.expr(kind, 1);
    const r = this.fresh('v');
    this.lines.push(`${r} = ${name}(${args})`);
    this.vars.push({ name: r, kind });
  }

  ifStmt() {
    const name = this.fresh('_c');
    this.lines.push(`${name} = 0\nif ${this.expr('bool', 1)}:\n    ${name} = ${this.expr('int', 1)}\nelse:\n    ${name} = ${this.expr('int', 1)}`);
    this.vars.push({ name, kind: 'int' });
  }

  assertStmt() {
    this.lines.push(`assert ${this.expr('bool', 1)}${this.chance(0.5) ? `, "assertion ${this.rand(100)}"` : ''}`);
  }

  printStmt() {
    this.lines.push(`print(${this.expr(this.pick(KINDS), 1)}${this.chance(0.3) ? `, ${this.expr('str', 0)}` : ''})`);
  }

  mistakeStmt() {
    const pick = this.rand(10);
    const v = this.vars.length > 0 ? this.pick(this.vars) : undefined;
    switch (pick) {
      case 0:
        if (v && !v.name.startsWith('_')) return this.lines.push(`${v.name} = ${this.expr(v.kind, 1)}`);
        return this.lines.push(`u = undefined_${this.rand(9)} + 1`);
      case 1:
        return this.lines.push(`${this.fresh('v')} = ${this.expr('str', 1)} ${this.pick(['+', '-', '<'])} ${this.expr('int', 1)}`);
      case 2:
        return this.lines.push(`${this.fresh('v')} = ${this.expr(this.pick(['int', 'bool']), 0)}[0]`);
      case 3:
        return this.lines.push(`${this.fresh('v')} = ${this.pick(['len', 'abs', 'sorted', 'range', 'str.upper'])}(${this.pick(['', '1, 2, 3, 4', '{a = 1}'])})`);
      case 4:
        return this.lines.push(`${this.fresh('v')} = [x for x, y, z in ${this.expr('ints', 1)}]`);
      case 5:
        return this.lines.push(`${this.fresh('v')} = ${this.expr(this.pick(KINDS), 1)} as ${this.pick(['int', 'str', 'float', '[int]'])}`);
      case 6:
        return this.lines.push(`${this.fresh('v')} = ${this.expr('ints', 1)}[${this.strLit()}]`);
      case 7:
        return this.lines.push(`${this.fresh('v')} = ${this.expr('int', 1)} ${this.pick(['//', '%'])} 0`);
      case 8:
        return this.lines.push(`${this.fresh('v')} = ${this.expr(this.pick(KINDS), 1)}.${this.pick(['upper', 'keys', 'length', 'x'])}`);
      default:
        return this.lines.push(`${this.fresh('v')}: ${this.typeOf(this.pick(KINDS))} = ${this.expr(this.pick(KINDS), 1)}`);
    }
  }
}

export function generateProgram(seed) {
  const g = new Gen(seed);
  const steps = 3 + g.rand(8);
  const mistakeAt = g.chance(0.35) ? g.rand(steps) : -1;
  for (let i = 0; i < steps; i++) {
    g.mistake = i === mistakeAt;
    if (g.mistake && g.chance(0.4)) {
      g.mistakeStmt();
      continue;
    }
    g.pick([
      () => g.assign(),
      () => g.assign(),
      () => g.assign(),
      () => g.schema(),
      () => g.instance(),
      () => g.instance(),
      () => g.lambda(),
      () => g.ifStmt(),
      () => g.assertStmt(),
      () => g.printStmt(),
    ])();
  }
  return g.lines.join('\n') + '\n';
}
