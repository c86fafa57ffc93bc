/**
 * Stopping gracefully: on SIGTERM/SIGINT /readyz fails at once while reviews are still answered
 * (endpoints and the API servers' connection pools take a moment to stop routing to a terminating
 * Pod), then the listener closes, waiting for reviews in flight up to a grace period, and only
 * then the engine and the worker pool stop.
 */
import type { Logger } from 'pino';
import type { HttpsListener } from './https-listener.js';

export interface Stoppable {
  close(): Promise<void>;
}

export interface StopPlan {
  readonly listener: HttpsListener;
  /** Closed in order after the listener: the engine runtime, then its executor. */
  readonly after: readonly Stoppable[];
  readonly delayMs: number;
  readonly graceMs: number;
  readonly logger: Logger;
  /** Called first: from now on /readyz fails. */
  readonly startDraining: () => void;
  readonly inFlight: () => number;
}

/** Returns stop(): the first call runs the plan; later calls share its result. */
export function gracefulStop(plan: StopPlan): () => Promise<boolean> {
  let stopping: Promise<boolean> | undefined;
  return () => {
    stopping ??= (async () => {
      plan.startDraining();
      if (plan.delayMs > 0) {
        plan.logger.info({ delaySeconds: plan.delayMs / 1000 }, 'draining: still serving while endpoints stop routing here');
        await new Promise((resolveDelay) => setTimeout(resolveDelay, plan.delayMs));
      }
      const drained = await plan.listener.close(plan.graceMs);
      for (const part of plan.after) await part.close();
      if (!drained) plan.logger.warn({ inFlight: plan.inFlight() }, 'shutdown grace period over; reviews still in flight were cut off');
      plan.logger.info({}, 'kclguard stopped');
      return drained;
    })();
    return stopping;
  };
}

/** Resolves with the first SIGTERM or SIGINT; until then signals are not handled here. */
export function waitForStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolveSignal) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolveSignal(signal);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
