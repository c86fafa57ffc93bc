#!/usr/bin/env node
/**
 * Generates a KCL package of the Kubernetes API schemas from the Kubernetes OpenAPI v2 spec
 * (api/openapi-spec/swagger.json of the k8s.io/kubernetes Go module), laid out as the published
 * `k8s` KCL package is: `kcl.mod`, one file per definition at `api/<group>/<version>/<snake>.k`
 * and `apimachinery/pkg/apis/meta/v1/...`, root-relative imports between groups
 * (`import apimachinery.pkg.apis.meta.v1`), docstrings with an Attributes section, `?` for
 * optional attributes and literal apiVersion/kind defaults for top-level kinds.
 *
 * It stands in for the published package (which this machine cannot download) in
 * `npm run bench:kcl`: same shape and about the same size (~700 files), our own text.
 *
 *   node scripts/gen-k8s-kcl-package.mjs OUT_DIR [swagger.json]   # write the package to OUT_DIR
 *
 * Without a swagger.json path, the spec is taken from the Go module cache
 * (`go mod download -json k8s.io/kubernetes@<version of scripts/control-plane/tools/kube-apiserver>`).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const PREFIX = 'io.k8s.';
const KEYWORDS = new Set(['True', 'False', 'None', 'Undefined', 'import', 'as', 'rule', 'schema', 'mixin', 'protocol', 'for', 'assert', 'if', 'elif', 'else', 'or', 'and', 'not', 'in', 'is', 'lambda', 'all', 'any', 'filter', 'map', 'type', 'check']);

/** Definitions that are scalars in JSON: inlined as KCL types where they are referenced. */
const SCALARS = {
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': 'int | str',
  'io.k8s.apimachinery.pkg.api.resource.Quantity': 'str',
  'io.k8s.apimachinery.pkg.apis.meta.v1.Time': 'str',
  'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime': 'str',
  'io.k8s.apimachinery.pkg.runtime.RawExtension': 'any',
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON': 'any',
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrArray': 'any',
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrBool': 'any',
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrStringArray': 'any',
};

/** `io.k8s.api.core.v1.Pod` -> { module: 'api.core.v1', name: 'Pod' } (dashes become underscores). */
function split(ref) {
  const full = ref.startsWith(PREFIX) ? ref.slice(PREFIX.length) : ref;
  const dot = full.lastIndexOf('.');
  return { module: full.slice(0, dot).replaceAll('-', '_'), name: full.slice(dot + 1) };
}

function snake(name) {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2').toLowerCase();
}

function attrName(name) {
  return KEYWORDS.has(name) || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? `$${name.replace(/[^A-Za-z0-9_]/g, '_')}` : name;
}

function alias(module) {
  return module.replaceAll('.', '_');
}

function docText(text, indent) {
  return (text ?? '').replaceAll('\\', '\\\\').replaceAll('"""', '\\"\\"\\"').split('\n').map((l) => (l ? indent + l : '')).join('\n');
}

/** The KCL type of a property, recording the modules it needs. */
function typeOf(prop, own, imports, definitions) {
  if (prop.$ref) {
    const ref = prop.$ref.replace('#/definitions/', '');
    if (SCALARS[ref]) return SCALARS[ref];
    const target = definitions[ref];
    if (target && !target.properties && target.type && target.type !== 'object') return typeOf(target, own, imports, definitions);
    const { module, name } = split(ref);
    if (module === own) return name;
    imports.add(module);
    return `${alias(module)}.${name}`;
  }
  switch (prop.type) {
    case 'string':
      return 'str';
    case 'integer':
      return 'int';
    case 'number':
      return 'float';
    case 'boolean':
      return 'bool';
    case 'array':
      return `[${typeOf(prop.items ?? {}, own, imports, definitions)}]`;
    case 'object':
      return prop.additionalProperties ? `{str:${typeOf(prop.additionalProperties, own, imports, definitions)}}` : '{str:any}';
    default:
      return 'any';
  }
}

function schemaFile(ref, def, definitions) {
  const { module, name } = split(ref);
  const imports = new Set();
  const gvk = def['x-kubernetes-group-version-kind']?.[0];
  const required = new Set(def.required ?? []);
  const names = Object.keys(def.properties ?? {})
    .filter((p) => !(gvk && p === 'status'))
    .sort((a, b) => (a === 'apiVersion' ? -1 : b === 'apiVersion' ? 1 : a === 'kind' ? -1 : b === 'kind' ? 1 : a.localeCompare(b)));
  const attrs = [];
  const docs = [];
  for (const p of names) {
    const prop = def.properties[p];
    let type = typeOf(prop, module, imports, definitions);
    let dflt = '';
    if (gvk && p === 'apiVersion') {
      const apiVersion = gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
      type = `"${apiVersion}"`;
      dflt = ` = "${apiVersion}"`;
    } else if (gvk && p === 'kind') {
      type = `"${gvk.kind}"`;
      dflt = ` = "${gvk.kind}"`;
    }
    const optional = !required.has(p) && !dflt;
    attrs.push(`    ${attrName(p)}${optional ? '?' : ''}: ${type}${dflt}`);
    docs.push(`    ${attrName(p)} : ${type}, default is ${dflt ? dflt.slice(3) : 'Undefined'}, ${optional ? 'optional' : 'required'}\n${docText(prop.description, '        ')}`);
  }
  const header = `"""\nThis is the ${snake(name)} module in k8s.${module} package.\nGenerated by kclguard's scripts/gen-k8s-kcl-package.mjs from the Kubernetes OpenAPI spec.\n"""\n`;
  const importLines = [...imports].sort().map((m) => `import ${m} as ${alias(m)}\n`).join('');
  const doc = `    r"""\n${docText(def.description, '    ')}\n\n    Attributes\n    ----------\n${docs.join('\n')}\n    """\n`;
  const body = attrs.length > 0 ? `\n${attrs.join('\n\n')}\n` : '\n    [key: str]: any\n';
  return { path: `${module.replaceAll('.', '/')}/${snake(name)}.k`, text: `${header}${importLines}\n\nschema ${name}:\n${doc}${body}` };
}

/** The package as path -> text (paths relative to the package root). */
export function generateK8sPackage(swagger, version = '1.34') {
  const files = new Map([['kcl.mod', `[package]\nname = "k8s"\nedition = "v0.11.0"\nversion = "${version}"\n`]]);
  const definitions = swagger.definitions;
  for (const [ref, def] of Object.entries(definitions)) {
    if (!ref.startsWith(PREFIX) || SCALARS[ref]) continue;
    if (!def.properties && def.type && def.type !== 'object') continue;
    const { path, text } = schemaFile(ref, def, definitions);
    files.set(path, text);
  }
  return files;
}

/** swagger.json of the k8s.io/kubernetes module the e2e control plane pins, from the Go module cache. */
export function findSwagger() {
  const tool = join(ROOT, 'scripts', 'control-plane', 'tools', 'kube-apiserver');
  const version = spawnSync('go', ['list', '-m', '-f', '{{.Version}}', 'k8s.io/kubernetes'], { cwd: tool, encoding: 'utf8', env: { ...process.env, GOFLAGS: '-mod=readonly' } });
  if (version.status !== 0) return { error: `go list failed: ${(version.stderr || String(version.error)).trim()}` };
  const v = version.stdout.trim();
  const download = spawnSync('go', ['mod', 'download', '-json', `k8s.io/kubernetes@${v}`], { cwd: tool, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (download.status !== 0) return { error: `go mod download k8s.io/kubernetes@${v} failed: ${download.stdout || download.stderr}` };
  const dir = JSON.parse(download.stdout).Dir;
  return { path: join(dir, 'api', 'openapi-spec', 'swagger.json'), version: v.replace(/^v/, '').split('.').slice(0, 2).join('.') };
}

function main(argv) {
  const [out, swaggerPath] = argv;
  if (!out) {
    console.error('usage: node scripts/gen-k8s-kcl-package.mjs OUT_DIR [swagger.json]');
    return 2;
  }
  const found = swaggerPath ? { path: swaggerPath, version: '1.34' } : findSwagger();
  if (found.error) {
    console.error(`gen-k8s-kcl-package: ${found.error}`);
    return 1;
  }
  const files = generateK8sPackage(JSON.parse(readFileSync(found.path, 'utf8')), found.version);
  for (const [path, text] of files) {
    mkdirSync(dirname(join(out, path)), { recursive: true });
    writeFileSync(join(out, path), text);
  }
  console.log(`gen-k8s-kcl-package: ${files.size} files in ${out}`);
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
