/**
 * The `manifests` system module: `manifests.yaml_stream(values, opts)` makes `kcl run` print
 * `values` as a YAML stream *instead of* the exported variables (the last call wins). Options
 * as in the reference (kcl-lib 0.13.2): `sort_keys`, `ignore_private` (drop `_` keys),
 * `ignore_none` (drop None values, in lists too), all off by default, and `sep`, the separator
 * line (default `---`), written between documents followed by a line break.
 */
import { KDict, KModule, UNDEFINED, truthy, type Value } from '../value.js';
import { renderDocuments } from '../yaml-output.js';
import { member, type Args } from './args.js';

function option(opts: Value | undefined, name: string): Value | undefined {
  return opts instanceof KDict ? opts.get(name) : undefined;
}

function yamlStream(a: Args): Value {
  const values = a.get(0);
  const opts = a.get(1);
  // The reference prints nothing for a value that is not a list.
  const docs = Array.isArray(values) ? values : [];
  const sep = option(opts, 'sep');
  const render = {
    sortKeys: truthy(option(opts, 'sort_keys') ?? false),
    showHidden: !truthy(option(opts, 'ignore_private') ?? false),
    disableNone: truthy(option(opts, 'ignore_none') ?? false),
  };
  const text = renderDocuments(docs, `${typeof sep === 'string' ? sep : '---'}\n`, render, a.ctx.textBudget('manifests.yaml_stream output'));
  a.ctx.checkBytes(text.length);
  a.ctx.setOutputStream(docs, text);
  return UNDEFINED;
}

export function manifestsModule(): KModule {
  return new KModule('manifests', new Map<string, Value>([member('manifests', 'yaml_stream', ['values', 'opts'], yamlStream)]));
}
