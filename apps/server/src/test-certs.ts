import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

// Test support: throwaway certificates made by openssl (ECDSA P-256, valid for a day, for 127.0.0.1).

export interface KeyPair {
  cert: string;
  key: string;
}

const ossl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A self-signed CA: `dir/<name>.crt`, `dir/<name>.key`. */
export function makeCa(dir: string, name: string): KeyPair {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  ossl('req', '-x509', ...EC, '-keyout', key, '-out', cert, '-days', '1', '-subj', `/CN=${name}`);
  return { cert, key };
}

/** A certificate signed by `ca` for TLS servers and clients, common name `name`, names `san` (openssl's form). */
export function makeSignedCert(dir: string, ca: KeyPair, name: string, san = 'IP:127.0.0.1'): KeyPair {
  const f = (ext: string) => join(dir, `${name}.${ext}`);
  writeFileSync(f('ext'), `subjectAltName=${san}\nextendedKeyUsage=serverAuth,clientAuth\n`);
  ossl('req', ...EC, '-keyout', f('key'), '-out', f('csr'), '-subj', `/CN=${name}`);
  ossl(
    'x509',
    '-req',
    '-in',
    f('csr'),
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-CAcreateserial',
    '-out',
    f('crt'),
    '-days',
    '1',
    '-extfile',
    f('ext'),
  );
  return { cert: f('crt'), key: f('key') };
}
