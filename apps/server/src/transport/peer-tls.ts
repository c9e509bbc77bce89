import {
  createServer as createNetServer,
  isIP,
  connect as netConnect,
  type Server,
  type Socket,
} from 'node:net';
import * as tls from 'node:tls';
import { clientSanMismatch } from './client-san.js';

// TLS for the peer transport (etcd's --peer-* flags). The scheme of each URL decides: https:// listens and
// dials with TLS, http:// stays plain TCP even when certificates are configured (as etcd ignores them there).
// The framing and the cluster-ID handshake run unchanged inside the TLS stream.

/** What dialing an https:// peer needs; a member always has a certificate, other callers may not. */
export interface PeerDialTls {
  cert?: Buffer;
  key?: Buffer;
  /** Verifies the other members' certificates; without it, the system's roots. */
  ca?: Buffer;
  /** Accept any certificate from the member dialed (auto TLS: self-signed, as etcd's InsecureSkipVerify). */
  insecureSkipVerify?: boolean;
  /** The other side's certificate must carry this subject common name (--peer-cert-allowed-cn). */
  allowedCn?: string;
}

export interface PeerTls extends PeerDialTls {
  cert: Buffer;
  key: Buffer;
  /** Accept a peer certificate whose IP/DNS names do not cover the address it connects from. */
  skipClientSanVerify?: boolean;
  /** Require peers to present a certificate the CA signed (--peer-client-cert-auth or a CA file given). */
  clientCertAuth: boolean;
}

/** How long a TLS handshake may take before the connection is dropped (node's default is 120 s). */
const HANDSHAKE_TIMEOUT_MS = 5000;

export const isTlsUrl = (url: string): boolean => /^https:/i.test(url);

/**
 * Opens a connection to a peer URL. `ready` is the event after which frames may be written: 'connect' for
 * TCP, 'secureConnect' for TLS (the server's certificate has been checked then, unless skipped).
 */
export function dialPeerSocket(
  url: string,
  peerTls: PeerDialTls | undefined,
): { socket: Socket; ready: 'connect' | 'secureConnect' } {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!isTlsUrl(url)) return { socket: netConnect({ host, port: Number(u.port || 80) }), ready: 'connect' };
  const socket = tls.connect({
    host,
    port: Number(u.port || 443),
    // SNI carries names only; an IP host is checked against the certificate's IP addresses instead.
    servername: isIP(host) ? undefined : host,
    cert: peerTls?.cert,
    key: peerTls?.key,
    ca: peerTls?.ca,
    rejectUnauthorized: !peerTls?.insecureSkipVerify,
    // etcd checks the allowed common name on both ends of a peer connection.
    checkServerIdentity: (name, cert) =>
      tls.checkServerIdentity(name, cert) ??
      (peerTls?.allowedCn && cert.subject?.CN !== peerTls.allowedCn
        ? new Error(`certificate CN ${cert.subject?.CN ?? '(none)'} is not allowed`)
        : undefined),
  });
  return { socket, ready: 'secureConnect' };
}

/**
 * A listener for one peer URL: plain TCP, or TLS that hands over only connections whose handshake (and
 * client certificate, when required) passed. Every raw connection goes to `onRaw` so that closing the
 * transport can cut the ones still in their handshake.
 */
export function createPeerServer(
  secure: boolean,
  peerTls: PeerTls | undefined,
  onSocket: (s: Socket) => void,
  onRaw: (s: Socket) => void,
  log: (level: 'info' | 'warn', msg: string) => void,
): Server {
  if (!secure) {
    const server = createNetServer(onSocket);
    server.on('connection', onRaw);
    return server;
  }
  if (!peerTls) throw new Error('peer TLS listener without a certificate');
  const server = tls.createServer(
    {
      cert: peerTls.cert,
      key: peerTls.key,
      ca: peerTls.ca,
      requestCert: peerTls.clientCertAuth,
      rejectUnauthorized: peerTls.clientCertAuth,
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
    },
    (socket) => {
      const remote = socket.remoteAddress ?? '';
      const refuse = (why: string) => {
        log('warn', `rejected peer connection from ${remote}: ${why}`);
        socket.destroy();
      };
      const cert = socket.getPeerCertificate();
      const cn = cert.subject?.CN;
      if (peerTls.allowedCn && cn !== peerTls.allowedCn) {
        refuse(`certificate CN ${cn ?? '(none)'} is not allowed`);
        return;
      }
      if (peerTls.skipClientSanVerify || !cert.raw) {
        onSocket(socket);
        return;
      }
      clientSanMismatch(cert.raw, remote).then(
        (why) => {
          if (why) refuse(why);
          else if (!socket.destroyed) onSocket(socket);
        },
        (err: Error) => refuse(err.message),
      );
    },
  );
  server.on('connection', onRaw);
  server.on('tlsClientError', (err, socket) => {
    // A certificate that fails verification is cut by node after the handshake, which reports only the
    // hang-up; the reason is on the socket.
    const why = socket.authorizationError ? `client certificate: ${socket.authorizationError}` : err.message;
    const from = socket.remoteAddress ? ` from ${socket.remoteAddress}` : '';
    log('warn', `rejected peer connection${from}: ${why}`);
  });
  return server;
}
