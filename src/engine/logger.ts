/**
 * The logging surface the engine needs: pino-compatible (`logger.warn({policy}, 'msg')`), so the
 * server passes its pino instance and tests pass nothing. The engine logs identifiers (policy,
 * uid, kind, namespace/name), never whole objects at info level or above.
 */
export interface EngineLogger {
  debug(obj: Record<string, unknown>, msg: string): void;
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

const ignore = (): void => undefined;

export const silentLogger: EngineLogger = { debug: ignore, info: ignore, warn: ignore, error: ignore };
