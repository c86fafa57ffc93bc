/**
 * The `file` system module, refused: a policy runs inside the admission path and must not read
 * or write the controller's filesystem. Every member exists (so `import file` and member lookup
 * behave as in the reference) but calling one is K9005 SandboxViolation. The other modules'
 * file functions (json.dump_to_file, yaml.dump_to_file, crypto.filesha256, ...) refuse the same way.
 */
import { KModule, type Value } from '../value.js';
import { member, type Args } from './args.js';

export function sandboxRefusal(a: Args): never {
  throw a.error('K9005', `${a.fn}(): file access is not allowed in policies`);
}

/** Members of the reference's file module (kcl-lib 0.13.2). */
const FILE_MEMBERS = [
  'read', 'read_env', 'readbase64', 'glob', 'modpath', 'workdir', 'current', 'exists', 'abs',
  'mkdir', 'delete', 'cp', 'mv', 'size', 'write', 'append',
];

export function fileModule(): KModule {
  return new KModule('file', new Map<string, Value>(FILE_MEMBERS.map((name) => member('file', name, [], sandboxRefusal, true))));
}
