/** The HTTP status of a failed @kubernetes/client-node call (its ApiException carries `code`). */
export function statusCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
}
