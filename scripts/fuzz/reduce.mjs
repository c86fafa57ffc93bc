/**
 * Shrinks a program on which kclguard and the reference diverge to a small one that still
 * diverges the same way (same divergence class, see outcome.mjs): delta debugging over the
 * top-level statements (a statement with its indented block is one piece), then over the lines
 * of each block, then over the items of each bracketed list in what is left.
 */
import { divergenceClass, runOurs } from './outcome.mjs';

/** At most this many candidate programs are tried per reduction (each runs in the reference). */
const MAX_TRIES = 400;

function chunks(source) {
  const out = [];
  for (const line of source.split('\n')) {
    if (line.trim() === '') continue;
    if (/^\s/.test(line) && out.length > 0) out[out.length - 1].push(line);
    else out.push([line]);
  }
  return out;
}

const join = (pieces) => pieces.map((p) => (Array.isArray(p) ? p.join('\n') : p)).join('\n') + '\n';

/** ddmin: the smallest subsequence of `items` for which `keeps` still holds (1-minimal). */
async function ddmin(items, keeps) {
  let current = items;
  let n = 2;
  while (current.length >= 2) {
    const size = Math.ceil(current.length / n);
    let reduced = false;
    for (let start = 0; start < current.length; start += size) {
      const complement = [...current.slice(0, start), ...current.slice(start + size)];
      if (complement.length > 0 && (await keeps(complement))) {
        current = complement;
        n = Math.max(n - 1, 2);
        reduced = true;
        break;
      }
    }
    if (!reduced) {
      if (n >= current.length) break;
      n = Math.min(n * 2, current.length);
    }
  }
  return current;
}

export async function reduce(source, cls, reference) {
  let tries = 0;
  const keeps = async (src) => {
    if (tries++ >= MAX_TRIES) return false;
    const ref = await reference.run(src);
    return !ref.hung && divergenceClass(ref, runOurs(src)) === cls;
  };
  let pieces = await ddmin(chunks(source), (c) => keeps(join(c)));
  // Lines inside blocks (schema bodies, lambda bodies), keeping each block's first line.
  for (let i = 0; i < pieces.length; i++) {
    if (pieces[i].length < 3) continue;
    const [head, ...body] = pieces[i];
    const kept = await ddmin(body, (b) => keeps(join([...pieces.slice(0, i), [head, ...b], ...pieces.slice(i + 1)])));
    pieces = [...pieces.slice(0, i), [head, ...kept], ...pieces.slice(i + 1)];
  }
  let text = join(pieces);
  // Items of list literals: `[a, b, c]` -> `[b]` when that keeps the divergence.
  for (const list of text.match(/\[[^[\]]*,[^[\]]*\]/g) ?? []) {
    const items = list.slice(1, -1).split(',');
    const kept = await ddmin(items, (its) => keeps(text.replace(list, `[${its.join(',')}]`)));
    if (kept.length < items.length) text = text.replace(list, `[${kept.join(',').trim()}]`);
  }
  return text;
}
