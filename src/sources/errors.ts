/**
 * One catalogue of what can go wrong while resolving a policy's source, with a code per kind
 * (tests assert codes, not text). Messages name the reference and never carry a registry's
 * response body: status messages are visible to the policy's authors, and a hostile registry
 * must not be able to write into them.
 */
export const SOURCE_ERRORS = {
  S1001: 'InvalidReference',
  S1002: 'InvalidDependency',
  S1003: 'RegistryNotAllowed',
  S2001: 'Unauthorized',
  S2002: 'NotFound',
  S2003: 'RegistryUnavailable',
  S2004: 'RegistryProtocolError',
  S3001: 'DigestMismatch',
  S3002: 'LimitExceeded',
  S3003: 'InvalidArtifact',
  S3004: 'SourceBudgetExceeded',
  S4001: 'CredentialsUnavailable',
} as const;

export type SourceErrorCode = keyof typeof SOURCE_ERRORS;

export class SourceError extends Error {
  constructor(
    readonly code: SourceErrorCode,
    readonly detail: string,
  ) {
    super(`${code} ${SOURCE_ERRORS[code]}: ${detail}`);
    this.name = 'SourceError';
  }
}

/** Errors worth retrying soon: the registry (or the network to it) may come back. */
export function isTransient(error: unknown): boolean {
  return error instanceof SourceError && (error.code === 'S2003' || error.code === 'S2004');
}

/** Any thrown value as a SourceError; anything unexpected becomes S2003 with its message. */
export function asSourceError(error: unknown): SourceError {
  if (error instanceof SourceError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new SourceError('S2003', message.split('\n')[0]!.slice(0, 300));
}
