/** The worker pool's public surface (src/engine/pool is reached only through this file). */
export { DEFAULT_COMPILE_BUDGET_MS, DEFAULT_WORKER_HEAP_MB, KILL_MARGIN_MS, WorkerPool, type PoolObserver, type WorkerPoolOptions } from './worker-pool.js';
export { HEAVY_AFTER_STOP_MS, HEAVY_POLICY_MS, LANES, type Lane } from './lanes.js';
export { WORKER_STATES, type ExitCause, type WorkerState } from './pool-worker.js';
export { WORKER_SCHEDULINGS, type WorkerScheduling } from './thread-scheduling.js';
export { containerLimits, defaultPoolSize, memoryWarning, type ContainerLimits, type PoolSize } from './pool-size.js';
