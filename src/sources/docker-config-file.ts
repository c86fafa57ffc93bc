/**
 * Credentials from a docker config file, for local mode and the offline CLI: `--docker-config
 * FILE`, else `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json` (docker's own lookup).
 * The file is read at every resolution, so a `docker login` takes effect at the next refresh; a
 * missing default file means anonymous access, a missing named file is an error.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseDockerConfig, type CredentialStore } from './credentials.js';
import { SourceError } from './errors.js';

export function defaultDockerConfigPath(env: Readonly<Record<string, string | undefined>>): string {
  return join(env.DOCKER_CONFIG || join(homedir(), '.docker'), 'config.json');
}

/** A provider reading `path`; `required`: the user named the file, so its absence is an error. */
export function dockerConfigCredentials(path: string, required: boolean): () => Promise<CredentialStore | undefined> {
  return async () => {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if (!required && (error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new SourceError('S4001', `cannot read the docker config ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
    return parseDockerConfig(text, path);
  };
}
