import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSelfSignedCert } from './self-signed-cert.js';

export interface CertFiles {
  certFile: string;
  keyFile: string;
}

/** The host part of each URL (no port), for the certificate's subject alternative names. */
export function hostsOf(urls: string[]): string[] {
  return urls.map((u) => new URL(u).hostname.replace(/^\[(.*)\]$/, '$1'));
}

/**
 * etcd's --auto-tls / --peer-auto-tls: `dir/cert.pem` and `dir/key.pem`, made once (self-signed, valid for a
 * year, the listen hosts as names) and reused on later starts, as etcd's transport.SelfCert does.
 */
export function selfCert(dir: string, hosts: string[]): CertFiles {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  if (existsSync(certFile) && existsSync(keyFile)) return { certFile, keyFile };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { cert, key } = createSelfSignedCert({ hosts });
  writeFileSync(certFile, cert);
  writeFileSync(keyFile, key, { mode: 0o600 });
  chmodSync(keyFile, 0o600);
  return { certFile, keyFile };
}
