/**
 * A self-signed certificate for running on a laptop without a cluster. It is a CA for itself, so a
 * client (or a kube-apiserver's caBundle) can trust exactly this certificate.
 */
import selfsigned from 'selfsigned';

export interface KeyPair {
  readonly cert: string;
  readonly key: string;
}

export interface SelfSignedOptions {
  /** DNS names; IP addresses are recognised and put in IP SANs. */
  readonly hosts?: readonly string[];
  readonly days?: number;
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

export function generateSelfSigned(options: SelfSignedOptions = {}): KeyPair {
  const hosts = options.hosts ?? ['localhost', '127.0.0.1'];
  const altNames = hosts.map((host) => (IPV4.test(host) || host.includes(':') ? { type: 7, ip: host } : { type: 2, value: host }));
  const result = selfsigned.generate([{ name: 'commonName', value: hosts[0] ?? 'localhost' }], {
    days: options.days ?? 365,
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', keyCertSign: true, digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  });
  return { cert: result.cert, key: result.private };
}
