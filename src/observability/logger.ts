/**
 * The pino JSON logger. Admission reviews are logged by uid, kind, namespace/name and decision;
 * whole objects never go to the log at info level (they may hold Secrets and are large).
 */
import { pino, type DestinationStream, type Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

export function createLogger(level: LogLevel = 'info', destination?: DestinationStream): Logger {
  const options = {
    name: 'kclguard',
    level,
    base: { service: 'kclguard' },
    // Defence in depth: if an object slips into a log call anyway, its payload is not written.
    redact: { paths: ['object', 'oldObject', '*.object', '*.oldObject', 'request.object', 'request.oldObject'], censor: '[omitted]' },
  };
  return destination ? pino(options, destination) : pino(options);
}

export type { Logger };
