#!/usr/bin/env node
/**
 * The least a validating webhook can do, for `npm run bench:e2e`'s `floor` scenario: read the
 * AdmissionReview, answer `allowed` with its uid. Same runtime, TLS key and server timeouts as
 * `kclguard serve`, so what it costs through the API server is what calling any webhook costs
 * there before a policy runs: the API server's webhook client, TLS, the hop, and parsing one
 * review. GET /count answers how many reviews it allowed (the bench's check that it is called).
 *
 * Usage: node allow-all-webhook.mjs PORT CERT_FILE KEY_FILE
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';

const [port, certFile, keyFile] = process.argv.slice(2);
let allowed = 0;

const server = createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, (req, res) => {
  if (req.method === 'GET' && req.url === '/count') {
    res.end(String(allowed));
    return;
  }
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    let uid = '';
    try {
      uid = JSON.parse(Buffer.concat(chunks).toString('utf8')).request.uid;
    } catch {
      res.writeHead(400).end('not an AdmissionReview');
      return;
    }
    allowed++;
    const body = JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid, allowed: true } });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  });
});
// As kclguard's listener (src/server/https-listener.ts): the API server's idle connections are kept.
server.keepAliveTimeout = 60_000;
server.headersTimeout = 10_000;
server.listen(Number(port), '127.0.0.1', () => console.log(`allow-all webhook listening on ${port}`));
process.on('SIGTERM', () => process.exit(0));
