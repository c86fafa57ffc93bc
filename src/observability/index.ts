/** Metrics and logging: one Registry passed in, every metric name, the pino logger. */
export { metricsObserver, poolObserver } from './engine-observer.js';
export { LOG_LEVELS, createLogger, type LogLevel, type Logger } from './logger.js';
export { admissionMetrics, createMetrics, type AdmissionMetrics, type Metrics, type MetricsOptions } from './metrics.js';
export { auditObserver } from './audit-observer.js';
export { observeSourceText } from './source-metrics.js';
