// A CA and serving certificates for kclguard's Service, made with openssl, so that the fault
// suite can rotate the serving certificate under a caBundle that stays valid.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './kube.mjs';

export async function makeCa() {
  const dir = mkdtempSync(join(tmpdir(), 'kclguard-faults-pki-'));
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', '/CN=kclguard-faults-ca', '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.crt'),
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  let issued = 0;
  return {
    caCrt: readFileSync(join(dir, 'ca.crt')),
    /** A new serving certificate for `hosts`; returns {crt, key, serial} (serial as openssl prints it). */
    async issue(hosts) {
      issued += 1;
      const base = join(dir, `serving-${issued}`);
      writeFileSync(`${base}.ext`, ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature',
        'extendedKeyUsage=serverAuth', `subjectAltName=${hosts.map((h) => `DNS:${h}`).join(',')}`].join('\n'));
      await run('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-subj', `/CN=${hosts[0]}`, '-keyout', `${base}.key`, '-out', `${base}.csr`]);
      await run('openssl', ['x509', '-req', '-in', `${base}.csr`, '-CA', join(dir, 'ca.crt'), '-CAkey', join(dir, 'ca.key'),
        '-CAcreateserial', '-days', '2', '-extfile', `${base}.ext`, '-out', `${base}.crt`]);
      const serial = (await run('openssl', ['x509', '-noout', '-serial', '-in', `${base}.crt`])).stdout.trim().replace(/^serial=/, '');
      return { crt: readFileSync(`${base}.crt`), key: readFileSync(`${base}.key`), serial };
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
