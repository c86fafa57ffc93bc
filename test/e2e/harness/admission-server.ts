// A minimal HTTPS admission webhook for tests that need to see what the API server sends, or
// to prove that webhook plumbing works before kclguard itself is involved. It serves with the
// control plane's webhook certificate (issued by its CA, valid for 127.0.0.1).
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface AdmissionRequest {
  uid: string;
  kind: { group: string; version: string; kind: string };
  operation: string;
  namespace?: string;
  name?: string;
  dryRun?: boolean;
  object?: { metadata?: { name?: string; labels?: Record<string, string> } } & Record<string, unknown>;
}

export interface AdmissionVerdict {
  allowed: boolean;
  message?: string;
  code?: number;
  warnings?: string[];
}

export interface TestAdmissionServer {
  /** `https://127.0.0.1:PORT` */
  url: string;
  /** base64 PEM of the CA that signed the serving certificate, for `clientConfig.caBundle`. */
  caBundle: string;
  /** Every request received, in order. */
  requests: AdmissionRequest[];
  close(): Promise<void>;
}

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the e2e tests through jest.e2e.config.js`);
  return value;
}

export async function startAdmissionServer(
  decide: (request: AdmissionRequest) => AdmissionVerdict,
): Promise<TestAdmissionServer> {
  const requests: AdmissionRequest[] = [];
  const server = createServer(
    { cert: readFileSync(requireEnv('KCLGUARD_E2E_WEBHOOK_CERT')), key: readFileSync(requireEnv('KCLGUARD_E2E_WEBHOOK_KEY')) },
    (req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        const review = JSON.parse(body) as { request: AdmissionRequest };
        requests.push(review.request);
        const verdict = decide(review.request);
        const response = {
          apiVersion: 'admission.k8s.io/v1',
          kind: 'AdmissionReview',
          response: {
            uid: review.request.uid,
            allowed: verdict.allowed,
            ...(verdict.warnings ? { warnings: verdict.warnings } : {}),
            ...(verdict.allowed ? {} : { status: { code: verdict.code ?? 403, message: verdict.message ?? '' } }),
          },
        };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(response));
      });
    },
  );
  await new Promise<void>((resolvePromise) => server.listen(0, '127.0.0.1', resolvePromise));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    caBundle: readFileSync(requireEnv('KCLGUARD_E2E_CA_CERT')).toString('base64'),
    requests,
    close: () =>
      new Promise<void>((resolvePromise) => {
        server.closeAllConnections();
        server.close(() => resolvePromise());
      }),
  };
}
