/**
 * The `units` system module: `to_Gi(n)` etc. write a quantity with a suffix, truncating toward
 * zero like the reference (`to_Ki(1000)` is "0Ki", `to_n(1)` is "999999999n").
 */
import { UNIT_MULTIPLIERS } from '../units-core.js';
import { KFloat, KModule, type Value } from '../value.js';
import { member, type Args } from './args.js';

function toUnit(suffix: string) {
  return (a: Args): string => {
    const v = a.need(0);
    // A bool counts as 0 or 1, as in the reference (`to_u(True)` is "1000000u").
    const x = typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean' ? Number(v) : v instanceof KFloat ? v.value : undefined;
    if (x === undefined) throw a.typeError('int | float', v);
    return `${Math.trunc(x / UNIT_MULTIPLIERS[suffix])}${suffix}`;
  };
}

export function unitsModule(): KModule {
  const suffixes = ['n', 'u', 'm', 'K', 'M', 'G', 'T', 'P', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi'];
  return new KModule('units', new Map<string, Value>(suffixes.map((s) => member('units', `to_${s}`, ['num'], toUnit(s)))));
}
