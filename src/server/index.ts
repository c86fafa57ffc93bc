/** The HTTP server's public surface: the express app, the HTTPS listener, TLS and graceful stop. */
export { createApp, type AppOptions } from './app.js';
export { readKeyPair, startHttpsListener, type CertificateFiles, type HttpsListener, type HttpsListenerOptions } from './https-listener.js';
export { InFlightTracker } from './in-flight.js';
export { gracefulStop, waitForStopSignal, type StopPlan } from './lifecycle.js';
export { generateSelfSigned, type KeyPair } from './self-signed.js';
export { CertificateError, saveGeneratedCertificate, serverCertificate, type ServerCertificate } from './tls.js';
