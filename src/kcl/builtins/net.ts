/**
 * The `net` system module (members as in kcl-lib 0.13.2). Addresses are parsed strictly (no
 * leading zeros in IPv4, no zone in IPv6) and printed like Rust's std::net (lower-case hex,
 * longest zero run as `::`, IPv4-mapped as `::ffff:a.b.c.d`). The `is_*` predicates follow
 * Rust's definitions, which is why private ranges are not "global unicast".
 */
import { displayForMessage } from '../display.js';
import { KDict, KModule, type Value } from '../value.js';
import { member, type Args } from './args.js';

/** An address as 4 or 16 bytes. */
type Ip = Uint8Array;

export function parseIPv4(s: string): Ip | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i];
    if (!/^\d{1,3}$/.test(p) || (p.length > 1 && p.startsWith('0'))) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    bytes[i] = n;
  }
  return bytes;
}

export function parseIPv6(s: string): Ip | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(s)) return undefined;
  let tail: Uint8Array | undefined;
  let text = s;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.')) {
    tail = parseIPv4(text.slice(lastColon + 1));
    if (!tail) return undefined;
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const group = (h: string) => (h === '' ? [] : h.split(':'));
  const head = group(halves[0]);
  const rest = halves.length === 2 ? group(halves[1]) : [];
  const total = head.length + rest.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return undefined;
  const groups = [...head, ...Array<string>(8 - total).fill('0'), ...rest];
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(groups[i])) return undefined;
    const n = parseInt(groups[i], 16);
    bytes[2 * i] = n >> 8;
    bytes[2 * i + 1] = n & 255;
  }
  if (tail) bytes.set(tail, 12);
  return bytes;
}

export function parseIp(s: string): Ip | undefined {
  return parseIPv4(s) ?? parseIPv6(s);
}

/** `::ffff:a.b.c.d` for the IPv4 address a.b.c.d. */
function mappedV6(ip: Ip): Ip {
  const mapped = new Uint8Array(16);
  mapped[10] = 0xff;
  mapped[11] = 0xff;
  mapped.set(ip, 12);
  return mapped;
}

function isMappedV4(ip: Ip): boolean {
  return ip.length === 16 && ip.subarray(0, 10).every((b) => b === 0) && ip[10] === 0xff && ip[11] === 0xff;
}

export function formatIp(ip: Ip): string {
  if (ip.length === 4) return Array.from(ip).join('.');
  if (isMappedV4(ip)) return `::ffff:${Array.from(ip.subarray(12)).join('.')}`;
  const groups = Array.from({ length: 8 }, (_, i) => (ip[2 * i] << 8) | ip[2 * i + 1]);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (g: number[]) => g.map((x) => x.toString(16)).join(':');
  if (bestLen < 2) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

/** The IPv4 form of an address (a mapped or compatible IPv6 address gives its last 4 bytes). */
function toV4(ip: Ip): Ip | undefined {
  if (ip.length === 4) return ip;
  if (ip.subarray(0, 10).every((b) => b === 0) && ((ip[10] === 0xff && ip[11] === 0xff) || (ip[10] === 0 && ip[11] === 0))) {
    return ip.subarray(12);
  }
  return undefined;
}

function toV6(ip: Ip): Ip {
  if (ip.length === 16) return ip;
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  out.set(ip, 12);
  return out;
}

function inPrefix(ip: Ip, prefix: number[], bits: number): boolean {
  for (let i = 0; i < bits; i++) {
    const byte = i >> 3;
    const mask = 0x80 >> (i & 7);
    if ((ip[byte] & mask) !== ((prefix[byte] ?? 0) & mask)) return false;
  }
  return true;
}

const V4 = (a: number, b = 0, c = 0, d = 0) => [a, b, c, d];
const V6 = (...groups: number[]) => groups.flatMap((g) => [g >> 8, g & 255]).concat(Array(16).fill(0)).slice(0, 16);

function isLoopback(ip: Ip): boolean {
  return ip.length === 4 ? ip[0] === 127 : ip.every((b, i) => b === (i === 15 ? 1 : 0));
}

function isUnspecified(ip: Ip): boolean {
  return ip.every((b) => b === 0);
}

function isMulticast(ip: Ip): boolean {
  return ip.length === 4 ? (ip[0] & 0xf0) === 224 : ip[0] === 0xff;
}

function isLinkLocalUnicast(ip: Ip): boolean {
  return ip.length === 4 ? ip[0] === 169 && ip[1] === 254 : inPrefix(ip, V6(0xfe80), 10);
}

/** Rust's Ipv4Addr::is_global / Ipv6Addr::is_global, restricted to unicast. */
function isGlobalUnicast(ip: Ip): boolean {
  if (isMulticast(ip)) return false;
  if (ip.length === 4) {
    if (ip[0] === 192 && ip[1] === 0 && ip[2] === 0 && (ip[3] === 9 || ip[3] === 10)) return true;
    const excluded: [number[], number][] = [
      [V4(0), 8], [V4(10), 8], [V4(100, 64), 10], [V4(127), 8], [V4(169, 254), 16], [V4(172, 16), 12],
      [V4(192, 0, 0), 24], [V4(192, 0, 2), 24], [V4(192, 168), 16], [V4(198, 18), 15],
      [V4(198, 51, 100), 24], [V4(203, 0, 113), 24], [V4(240), 4],
    ];
    return !excluded.some(([p, bits]) => inPrefix(ip, p, bits));
  }
  if (isUnspecified(ip) || isLoopback(ip) || isMappedV4(ip)) return false;
  const excluded: [number[], number][] = [
    [V6(0x64, 0xff9b, 1), 48], [V6(0x100), 64], [V6(0x2001, 0xdb8), 32], [V6(0xfc00), 7], [V6(0xfe80), 10],
  ];
  if (excluded.some(([p, bits]) => inPrefix(ip, p, bits))) return false;
  if (inPrefix(ip, V6(0x2001), 23)) {
    const allowed: [number[], number][] = [
      [V6(0x2001, 0x1, 0, 0, 0, 0, 0, 1), 128], [V6(0x2001, 0x1, 0, 0, 0, 0, 0, 2), 128],
      [V6(0x2001, 0x3), 32], [V6(0x2001, 0x4, 0x112), 48], [V6(0x2001, 0x20), 28],
    ];
    return allowed.some(([p, bits]) => inPrefix(ip, p, bits));
  }
  return true;
}

function splitHostPort(a: Args): string[] {
  const s = a.str(0);
  let host: string;
  let port: string;
  if (s.startsWith('[')) {
    const end = s.indexOf(']');
    if (end < 0 || s[end + 1] !== ':') throw a.fail(`ip_end_point "${displayForMessage(s)}" missing port`);
    host = s.slice(1, end);
    port = s.slice(end + 2);
  } else {
    const colon = s.lastIndexOf(':');
    if (colon < 0) throw a.fail(`ip_end_point "${displayForMessage(s)}" missing port`);
    if (s.indexOf(':') !== colon) throw a.fail(`ip_end_point "${displayForMessage(s)}" too many colons`);
    host = s.slice(0, colon);
    port = s.slice(colon + 1);
  }
  return [host, port];
}

function ipPredicate(test: (ip: Ip) => boolean) {
  return (a: Args): boolean => {
    const ip = parseIp(a.str(0));
    return ip !== undefined && test(ip);
  };
}

function parseCidr(a: Args, text: string): { ip: Ip; bits: number } {
  const slash = text.indexOf('/');
  const ip = slash >= 0 ? parseIp(text.slice(0, slash)) : undefined;
  const bits = slash >= 0 && /^\d+$/.test(text.slice(slash + 1)) ? Number(text.slice(slash + 1)) : NaN;
  if (!ip || !(bits >= 0 && bits <= ip.length * 8)) throw a.fail(`invalid CIDR '${displayForMessage(text)}'`);
  return { ip, bits };
}

/** The network address of ip/bits plus `offset` (negative offsets count from the broadcast end). */
function hostOf(ip: Ip, bits: number, offset: bigint): Ip | undefined {
  const width = BigInt(ip.length * 8);
  const value = ip.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
  const hostBits = width - BigInt(bits);
  const network = (value >> hostBits) << hostBits;
  const size = 1n << hostBits;
  const index = offset < 0n ? size + offset : offset;
  if (index < 0n || index >= size) return undefined;
  let n = network + index;
  const out = new Uint8Array(ip.length);
  for (let i = ip.length - 1; i >= 0; i--) {
    out[i] = Number(n & 255n);
    n >>= 8n;
  }
  return out;
}

/**
 * The additional prefix bits of CIDR_subnet/CIDR_subnets, range-checked as the reference does
 * (its messages), before any arithmetic: a negative count would make the subnet size a shift by
 * up to 2^63 bits (a BigInt of a billion bits). CIDR_subnets also refuses more than 63 bits.
 */
function checkedNewBits(a: Args, fn: string, ip: Ip, bits: number, newBits: number, capAt63: boolean): number {
  if (newBits < 0) throw a.fail(`${fn}() invalid additional_bits: cannot be negative`);
  if (capAt63 && newBits > 63) throw a.fail(`${fn}() invalid additional_bits: cannot extend more than 63 bits`);
  const width = ip.length * 8;
  if (bits + newBits > width) {
    throw a.fail(`${fn}() invalid additional_bits: would extend network length to ${bits + newBits} bits, which is too long for IPv${width === 32 ? 4 : 6}`);
  }
  return newBits;
}

export function netModule(): KModule {
  const m = (name: string, params: string[], impl: (a: Args) => Value) => member('net', name, params, impl);
  const ipString = (a: Args) => {
    const ip = parseIp(a.str(0));
    return ip ? formatIp(ip) : '';
  };
  return new KModule(
    'net',
    new Map<string, Value>([
      m('split_host_port', ['ip_end_point'], splitHostPort),
      m('join_host_port', ['host', 'port'], (a) => {
        const host = a.str(0);
        const port = a.need(1);
        const p = typeof port === 'string' || typeof port === 'number' ? String(port) : '';
        return host.includes(':') ? `[${host}]:${p}` : `${host}:${p}`;
      }),
      m('fqdn', ['name'], (a) => a.optStr(0, '')),
      m('parse_IP', ['ip'], ipString),
      m('IP_string', ['ip'], ipString),
      // A text that is no address, or an IPv6 address with no IPv4 form, gives the reference's
      // error message as the result (not an error), word for word.
      m('to_IP4', ['ip'], (a) => {
        const text = a.str(0);
        const ip = parseIp(text);
        if (!ip) return `can not both parse ${text} to ipv6 and ipv4,err:invalid IPv6 address syntax`;
        const v4 = toV4(ip);
        return v4 ? formatIp(v4) : `can not parse ${text} ipv6 to ipv4!`;
      }),
      m('to_IP6', ['ip'], (a) => {
        const text = a.str(0);
        const ip = parseIp(text);
        return ip ? formatIp(toV6(ip)) : `can not both parse ${text} to ipv6 and ipv4,err:invalid IPv4 address syntax`;
      }),
      m('is_IP', ['ip'], ipPredicate(() => true)),
      m('is_IPv4', ['ip'], (a) => parseIPv4(a.str(0)) !== undefined),
      m('is_IPv6', ['ip'], (a) => parseIPv6(a.str(0)) !== undefined),
      m('is_loopback_IP', ['ip'], ipPredicate(isLoopback)),
      m('is_multicast_IP', ['ip'], ipPredicate(isMulticast)),
      m('is_interface_local_multicast_IP', ['ip'], ipPredicate((ip) => ip.length === 16 && ip[0] === 0xff && (ip[1] & 0x0f) === 1)),
      m('is_link_local_multicast_IP', ['ip'], ipPredicate((ip) =>
        ip.length === 4 ? ip[0] === 224 && ip[1] === 0 && ip[2] === 0 : ip[0] === 0xff && (ip[1] & 0x0f) === 2)),
      m('is_link_local_unicast_IP', ['ip'], ipPredicate(isLinkLocalUnicast)),
      m('is_global_unicast_IP', ['ip'], ipPredicate(isGlobalUnicast)),
      m('is_unspecified_IP', ['ip'], ipPredicate(isUnspecified)),
      m('parse_CIDR', ['cidr'], (a) => {
        const { ip, bits } = parseCidr(a, a.str(0));
        return new KDict(new Map<string, Value>([['ip', formatIp(ip)], ['mask', bits]]));
      }),
      m('CIDR_host', ['cidr', 'hostnum'], (a) => {
        const { ip, bits } = parseCidr(a, a.str(0));
        const host = hostOf(ip, bits, BigInt(a.int(1)));
        if (!host) throw a.fail(`host number ${a.int(1)} is out of range for '${a.str(0)}'`);
        return formatIp(host);
      }),
      m('CIDR_netmask', ['cidr'], (a) => {
        const { ip, bits } = parseCidr(a, a.str(0));
        if (ip.length === 16) throw a.fail('CIDR_netmask() IPv6 addresses cannot have a netmask');
        const mask = new Uint8Array(ip.length).map((_, i) => (0xff << (8 - Math.min(8, Math.max(0, bits - i * 8)))) & 0xff);
        return formatIp(mask);
      }),
      m('CIDR_subnet', ['cidr', 'newbits', 'netnum'], (a) => {
        const { ip, bits } = parseCidr(a, a.str(0));
        const newBits = bits + checkedNewBits(a, 'CIDR_subnet', ip, bits, a.int(1), false);
        const base = hostOf(ip, bits, 0n)!;
        const shifted = BigInt(a.int(2)) << BigInt(ip.length * 8 - newBits);
        const net = hostOf(base, bits, shifted);
        if (!net) throw a.fail(`subnet number ${a.int(2)} is out of range for '${a.str(0)}'`);
        return `${formatIp(net)}/${newBits}`;
      }),
      m('CIDR_subnets', ['cidr', 'newbits'], (a) => {
        const { ip, bits } = parseCidr(a, a.str(0));
        const base = hostOf(ip, bits, 0n)!;
        let at = BigInt(0);
        return a.list(1).map((nb) => {
          if (typeof nb !== 'number') throw a.typeError('[int]', a.list(1));
          const newBits = bits + checkedNewBits(a, 'CIDR_subnets', ip, bits, nb, true);
          const size = 1n << BigInt(ip.length * 8 - newBits);
          at = ((at + size - 1n) / size) * size;
          const net = hostOf(base, bits, at);
          if (!net) throw a.fail(`not enough space in '${a.str(0)}' for the subnets`);
          at += size;
          return `${formatIp(net)}/${newBits}`;
        });
      }),
      m('is_IP_in_CIDR', ['ip', 'cidr'], (a) => {
        // An address that does not parse is an error, as in the reference, never False: a
        // deny list (`not is_IP_in_CIDR(ip, "10.0.0.0/8")`) must not pass `010.0.0.1`.
        const parsed = parseIp(a.str(0));
        if (!parsed) throw a.fail('is_IP_in_CIDR() invalid ip: invalid IP address syntax');
        const { ip: net, bits } = parseCidr(a, a.str(1));
        // An IPv4 address is matched against an IPv6 network as its IPv4-mapped form (the
        // reference does; an IPv6 address never matches an IPv4 network).
        const ip = parsed.length === 4 && net.length === 16 ? mappedV6(parsed) : parsed;
        return ip.length === net.length && inPrefix(ip, Array.from(net), bits);
      }),
    ]),
  );
}
