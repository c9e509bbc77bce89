import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EtcdConfig } from '../config/config.js';
import type { ClientTlsOptions } from '../frontend/listener.js';
import { isTlsUrl, type PeerTls } from '../transport/peer-tls.js';
import { hostsOf, selfCert } from './auto-tls.js';

type Warn = (msg: string) => void;

// The member's TLS material from its flags. Auto TLS applies only when no cert files are given, and then
// (as etcd replaces its TLS info with SelfCert's) the CA and client-cert-auth flags of that side are unused.

/** The peer transport's certificates, or undefined when the member has none (plain http:// peers). */
export function peerTlsOf(cfg: EtcdConfig, warn: Warn = () => {}): PeerTls | undefined {
  const tls = peerTlsFromFlags(cfg, warn);
  if (tls) {
    for (const url of cfg.listenPeerUrls.filter((u) => !isTlsUrl(u)))
      warn(
        `scheme is HTTP while key and cert files are present; ignoring key and cert files (peer-url ${url})`,
      );
  }
  return tls;
}

function peerTlsFromFlags(cfg: EtcdConfig, warn: Warn): PeerTls | undefined {
  if (cfg.peerCertFile || cfg.peerKeyFile) {
    if (cfg.peerAutoTls) warn('ignoring peer auto TLS since certs given');
    return {
      cert: readFileSync(cfg.peerCertFile),
      key: readFileSync(cfg.peerKeyFile),
      ca: cfg.peerTrustedCaFile ? readFileSync(cfg.peerTrustedCaFile) : undefined,
      // etcd requires a verified client certificate whenever a peer CA is given, flag or not.
      clientCertAuth: cfg.peerClientCertAuth || cfg.peerTrustedCaFile !== '',
      allowedCn: cfg.peerCertAllowedCn || undefined,
      skipClientSanVerify: cfg.peerSkipClientSanVerification,
      insecureSkipVerify: false,
    };
  }
  if (!cfg.peerAutoTls) return undefined;
  const files = selfCert(join(cfg.dataDir, 'fixtures', 'peer'), hostsOf(cfg.listenPeerUrls));
  return {
    cert: readFileSync(files.certFile),
    key: readFileSync(files.keyFile),
    clientCertAuth: false,
    insecureSkipVerify: true,
  };
}

/** The client listeners' certificates for https:// client URLs (--cert-file/--key-file or --auto-tls). */
export function clientTlsOf(cfg: EtcdConfig, warn: Warn = () => {}): ClientTlsOptions {
  if (cfg.certFile || cfg.keyFile || !cfg.autoTls) {
    if (cfg.autoTls) warn('ignoring client auto TLS since certs given');
    return {
      cert: readFileSync(cfg.certFile),
      key: readFileSync(cfg.keyFile),
      ca: cfg.trustedCaFile ? readFileSync(cfg.trustedCaFile) : undefined,
      clientCertAuth: cfg.clientCertAuth,
      crlFile: cfg.clientCrlFile || undefined,
    };
  }
  const files = selfCert(join(cfg.dataDir, 'fixtures', 'client'), hostsOf(cfg.listenClientUrls));
  return { cert: readFileSync(files.certFile), key: readFileSync(files.keyFile) };
}
