/**
 * The signatures the reference's checker (kcl-lib 0.13.2) knows for builtin functions, string
 * methods and system module members: which arguments they take, of which types, and what they
 * return. A call that does not fit is a compile-time error there (E2L23 for the arity, E2G22 for
 * a type), so these tables decide which programs are refused before they run. Each signature
 * was checked against the reference by calling it with too few, too many and ill-typed
 * arguments (docs/kcl-checker.md). Written in a small notation:
 *
 *   "name: type, name?: type -> return"   `?` has a default; `...` accepts any positional
 *                                         argument and keyword; `*` is a parameter whose name
 *                                         we do not know (no keyword is refused for it)
 *   types: any int float str bool none number iterable unit [T] {K:V} func
 */
import {
  ANY,
  BOOL,
  FLOAT,
  INT,
  ITERABLE,
  NONE,
  NUMBER,
  STR,
  UNIT,
  dictOf,
  func,
  listOf,
  unionOf,
  type FuncType,
  type Param,
  type Type,
} from './types.js';

function parseTypeText(text: string): Type {
  const t = text.trim();
  if (t.includes('|') && !t.startsWith('[') && !t.startsWith('{')) return unionOf(t.split('|').map(parseTypeText));
  if (t.startsWith('[')) return listOf(parseTypeText(t.slice(1, -1)));
  if (t.startsWith('{')) {
    const colon = t.indexOf(':');
    return dictOf(parseTypeText(t.slice(1, colon)), parseTypeText(t.slice(colon + 1, -1)));
  }
  const named: Record<string, Type> = {
    any: ANY,
    int: INT,
    float: FLOAT,
    str: STR,
    bool: BOOL,
    none: NONE,
    number: NUMBER,
    iterable: ITERABLE,
    unit: UNIT,
    func: func([], ANY),
  };
  const found = named[t];
  if (!found) throw new Error(`builtin-types: unknown type '${t}'`);
  return found;
}

/** Parses one signature of the notation above. */
export function signature(text: string): FuncType {
  const [paramText, retText] = text.split('->') as [string, string];
  const params: Param[] = [];
  let variadic = false;
  for (const raw of paramText.split(/,(?![^[{]*[\]}])/)) {
    const p = raw.trim();
    if (p === '') continue;
    if (p === '...') {
      variadic = true;
      continue;
    }
    const colon = p.indexOf(':');
    const name = p.slice(0, colon).trim();
    const optional = name.endsWith('?');
    params.push({ name: optional ? name.slice(0, -1) : name, ty: parseTypeText(p.slice(colon + 1)), hasDefault: optional });
  }
  return func(params, parseTypeText(retText), variadic);
}

function table(entries: Record<string, string>): ReadonlyMap<string, FuncType> {
  return new Map(Object.entries(entries).map(([name, sig]) => [name, signature(sig)]));
}

export const BUILTIN_FUNCTION_TYPES = table({
  option: 'key: str, type?: str, required?: bool, default?: any, help?: str -> any',
  print: '... -> none',
  multiplyof: 'a: int, b: int -> bool',
  isunique: 'inval: [any] -> bool',
  len: 'inval: iterable -> int',
  abs: 'inval: any -> any',
  all_true: 'inval: [any] -> bool',
  any_true: 'inval: [any] -> bool',
  hex: 'number: int -> str',
  bin: 'number: int -> str',
  oct: 'number: int -> str',
  ord: 'c: str -> int',
  sorted: 'inval: iterable, reverse?: bool -> [any]',
  range: 'start?: int, stop?: int, step?: int -> [int]',
  max: '... -> any',
  min: '... -> any',
  sum: 'iterable: [any], start?: any -> any',
  pow: 'x: number, y: number, z?: number -> number',
  round: 'number: number, ndigits?: int -> number',
  zip: '... -> [any]',
  int: 'number: any, base?: int -> int',
  float: 'number: any -> float',
  bool: 'x?: any -> bool',
  str: 'x?: any -> str',
  list: 'x?: any -> [any]',
  dict: 'x?: any, ... -> {any:any}',
  typeof: 'x: any, full_name?: bool -> str',
  isnullish: 'inval: any -> bool',
});

const FIND = 'sub: str, start?: int, end?: int -> int';

export const STRING_METHOD_TYPES = table({
  capitalize: '-> str',
  chars: '-> [str]',
  count: FIND,
  endswith: 'val: str, start?: int, end?: int -> bool',
  find: FIND,
  format: '... -> str',
  index: FIND,
  isalpha: '-> bool',
  isalnum: '-> bool',
  isdigit: '-> bool',
  islower: '-> bool',
  isspace: '-> bool',
  istitle: '-> bool',
  isupper: '-> bool',
  join: 'iter: [any] -> str',
  lower: '-> str',
  upper: '-> str',
  lstrip: 'chars?: str -> str',
  rstrip: 'chars?: str -> str',
  replace: 'old: str, new: str, count?: int -> str',
  removeprefix: 'prefix: str -> str',
  removesuffix: 'suffix: str -> str',
  rfind: FIND,
  rindex: FIND,
  rsplit: 'sep?: str, maxsplit?: int -> [str]',
  split: 'sep?: str, maxsplit?: int -> [str]',
  splitlines: 'keepends?: bool -> [str]',
  startswith: 'val: str, start?: int, end?: int -> bool',
  strip: 'chars?: str -> str',
  title: '-> str',
});

const HASH = 'value: str, encoding?: str -> str';
const IP_TEST = 'ip: str -> bool';
const IP_TEXT = 'ip: str -> str';
const TO_UNIT = 'num: number -> str';
const FILE_PATH = 'filepath: str -> str';

/** Members of each system module: a function signature, or a plain type (`units.Ki`). */
export const SYSTEM_MODULE_TYPES: ReadonlyMap<string, ReadonlyMap<string, Type>> = new Map<string, ReadonlyMap<string, Type>>([
  ['base64', table({ encode: 'value: str, encoding?: str -> str', decode: 'value: str -> str' })],
  ['base32', table({ encode: 'value: str -> str', decode: 'value: str -> str' })],
  [
    'net',
    table({
      split_host_port: 'ip_end_point: str -> [str]',
      join_host_port: 'host: str, port: int | str -> str',
      fqdn: 'name?: str -> str',
      parse_IP: IP_TEXT,
      IP_string: IP_TEXT,
      to_IP4: IP_TEXT,
      to_IP6: IP_TEXT,
      is_IPv4: IP_TEST,
      is_IPv6: IP_TEST,
      is_IP: IP_TEST,
      is_loopback_IP: IP_TEST,
      is_multicast_IP: IP_TEST,
      is_interface_local_multicast_IP: IP_TEST,
      is_link_local_multicast_IP: IP_TEST,
      is_link_local_unicast_IP: IP_TEST,
      is_global_unicast_IP: IP_TEST,
      is_unspecified_IP: IP_TEST,
      parse_CIDR: 'cidr: str -> {str:any}',
      is_IP_in_CIDR: 'ip: str, cidr: str -> bool',
      CIDR_host: 'cidr: str, hostnum: int -> str',
      CIDR_netmask: 'cidr: str -> str',
      CIDR_subnet: 'cidr: str, newbits: int, netnum: int -> str',
      CIDR_subnets: 'cidr: str, newbits: [int] -> [str]',
    }),
  ],
  ['manifests', table({ yaml_stream: 'values: any, opts?: {str:any} -> any' })],
  [
    'math',
    table({
      ceil: 'x: number -> int',
      factorial: 'x: number -> int',
      floor: 'x: number -> int',
      gcd: 'a: int, b: int -> int',
      isfinite: 'x: number -> bool',
      isinf: 'x: number -> bool',
      isnan: 'x: number -> bool',
      modf: 'x: number -> [float]',
      exp: 'x: number -> float',
      expm1: 'x: number -> float',
      log: 'x: number, e?: float -> float',
      log1p: 'x: number -> float',
      log2: 'x: number -> float',
      log10: 'x: number -> float',
      pow: 'x: number, y: number -> float',
      sqrt: 'x: number -> float',
    }),
  ],
  [
    'datetime',
    table({
      ticks: '-> float',
      date: '-> str',
      now: 'format?: str, *?: float -> str',
      today: '-> str',
      validate: 'date: str, format: str -> bool',
    }),
  ],
  [
    'regex',
    table({
      replace: 'string: str, pattern: str, replace: str, count?: int -> str',
      match: 'string: str, pattern: str -> bool',
      compile: 'pattern: str -> bool',
      findall: 'string: str, pattern: str -> [str]',
      search: 'string: str, pattern: str -> bool',
      split: 'string: str, pattern: str, maxsplit?: int -> [str]',
    }),
  ],
  [
    'yaml',
    table({
      encode: 'data: any, sort_keys?: bool, ignore_private?: bool, ignore_none?: bool, *?: bool -> str',
      encode_all: 'data: [any], sort_keys?: bool, ignore_private?: bool, ignore_none?: bool -> str',
      decode: 'value: str -> any',
      decode_all: 'value: str -> [any]',
      dump_to_file: 'data: any, filename: str, sort_keys?: bool, ignore_private?: bool, ignore_none?: bool -> str',
      dump_all_to_file: 'data: [any], filename: str, sort_keys?: bool, ignore_private?: bool, ignore_none?: bool -> str',
      validate: 'value: str -> bool',
    }),
  ],
  [
    'json',
    table({
      encode: 'data: any, sort_keys?: bool, indent?: int, ignore_private?: bool, ignore_none?: bool -> str',
      decode: 'value: str -> any',
      dump_to_file: 'data: any, filename: str, sort_keys?: bool, indent?: int, ignore_private?: bool, ignore_none?: bool -> str',
      validate: 'value: str -> bool',
    }),
  ],
  [
    'crypto',
    table({
      md5: HASH,
      sha1: HASH,
      sha224: HASH,
      sha256: HASH,
      sha384: HASH,
      sha512: HASH,
      blake3: HASH,
      uuid: '-> str',
      filesha256: FILE_PATH,
    }),
  ],
  [
    'units',
    new Map<string, Type>([
      ...['n', 'u', 'm', 'k', 'K', 'M', 'G', 'T', 'P', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi'].map((n): [string, Type] => [n, INT]),
      ...['n', 'u', 'm', 'K', 'M', 'G', 'T', 'P', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi'].map((n): [string, Type] => [`to_${n}`, signature(`${TO_UNIT}`)]),
      ['NumberMultiplier', UNIT],
    ]),
  ],
  ['collection', table({ union_all: 'num: [any] -> any' })],
  [
    'file',
    table({
      read: FILE_PATH,
      glob: 'pattern: str -> [str]',
      modpath: '-> str',
      workdir: '-> str',
      current: '-> str',
      exists: 'filepath: str -> bool',
      abs: FILE_PATH,
      append: 'filepath: str, content: str -> any',
      mkdir: 'directory: str, exists?: bool -> any',
      delete: 'filepath: str -> any',
      cp: 'src: str, dest: str -> any',
      mv: 'src: str, dest: str -> any',
      size: 'filepath: str -> int',
      write: 'filepath: str, content: str -> any',
      read_env: 'key: str -> str',
    }),
  ],
  ['template', table({ execute: 'template: str, data?: {str:any} -> str', html_escape: 'data: str -> str' })],
  ['runtime', table({ catch: 'func: func -> str' })],
  // kclguard's own module (the reference has none): messages to the policy's log.
  ['log', table({ debug: '... -> none', info: '... -> none', warn: '... -> none', error: '... -> none' })],
]);

/** The reference's names that may not name a type alias or a schema. */
export const RESERVED_TYPE_NAMES = new Set(['True', 'False', 'None', 'Undefined', 'bool', 'int', 'float', 'str', 'any']);
