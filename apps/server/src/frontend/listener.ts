// One client port for everything, as etcd's cmux: connections that open with the HTTP/2 preface go to the
// gRPC server, anything else (HTTP/1.1 JSON gateway, /health, /metrics, or garbage) to the HTTP/1 server,
// whose parser answers garbage with 400 and closes. Nothing a client sends can throw out of here.
import type * as http from 'node:http';
import type * as http2 from 'node:http2';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { isRevoked } from './crl';
import { routeHttp2 } from './h2-authority';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
/** A peer that sends nothing identifiable within this long is dropped. */
const SNIFF_TIMEOUT_MS = 10_000;

function ignore(): void {}

export interface ClientListenerTargets {
  h2: http2.Http2Server;
  http1: http.Server;
  /** Announced in the SETTINGS frame sent before node:http2 takes a connection (h2-authority.ts). */
  maxConcurrentStreams?: number;
}

/** Routes one accepted socket by its first bytes. */
export function sniffConnection(socket: net.Socket, targets: ClientListenerTargets): void {
  socket.on('error', ignore);
  socket.setNoDelay(true);
  let buf: Buffer | null = null;
  const timer = setTimeout(() => socket.destroy(), SNIFF_TIMEOUT_MS);
  const onData = (chunk: Buffer) => {
    buf = buf === null ? chunk : Buffer.concat([buf, chunk]);
    const n = Math.min(buf.length, PREFACE.length);
    const isH2 = buf.compare(PREFACE, 0, n, 0, n) === 0;
    if (isH2 && buf.length < PREFACE.length) return; // wait for the rest of the preface
    socket.removeListener('data', onData);
    socket.removeListener('close', onClose);
    if (isH2) {
      // the sniff timeout stays armed until the first request has been seen (h2-authority.ts)
      routeHttp2(socket, buf, targets.h2, () => clearTimeout(timer), targets.maxConcurrentStreams);
    } else {
      clearTimeout(timer);
      // node:http consumes the socket's handle directly, so buffered bytes would never reach its
      // parser: hand them over as a 'data' event, which its own listener feeds to the parser.
      targets.http1.emit('connection', socket);
      socket.emit('data', buf);
    }
  };
  const onClose = () => clearTimeout(timer);
  socket.on('data', onData);
  socket.on('close', onClose);
}

/** A TCP server that splits its connections between the HTTP/2 (gRPC) and HTTP/1.1 servers. */
export function createClientListener(targets: ClientListenerTargets): net.Server {
  return net.createServer((socket) => sniffConnection(socket, targets));
}

/** TLS material for a client port (etcd's --cert-file, --key-file, --trusted-ca-file, --client-cert-auth). */
export interface ClientTlsOptions {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
  /** Refuse a client whose certificate the CA did not sign (or that sends none). */
  clientCertAuth?: boolean;
  /** --client-crl-file: drop a client whose certificate serial this CRL lists (read per connection). */
  crlFile?: string;
}

/**
 * The TLS form of the listener: ALPN offers h2 and http/1.1 so gRPC clients land on the HTTP/2 server
 * directly; a connection that negotiated nothing (node's https, curl without ALPN) is sniffed as above.
 */
export function createTlsClientListener(targets: ClientListenerTargets, opts: ClientTlsOptions): tls.Server {
  const server = tls.createServer(
    {
      cert: opts.cert,
      key: opts.key,
      ca: opts.ca,
      requestCert: opts.clientCertAuth === true,
      rejectUnauthorized: opts.clientCertAuth === true,
      ALPNProtocols: ['h2', 'http/1.1'],
    },
    (socket) => {
      if (opts.crlFile && revokedPeer(socket, opts.crlFile)) {
        socket.destroy();
        return;
      }
      if (socket.alpnProtocol === 'h2') {
        socket.on('error', ignore);
        socket.setNoDelay(true);
        targets.h2.emit('connection', socket);
      } else sniffConnection(socket, targets);
    },
  );
  // A failed handshake (no client certificate, garbage) only concerns that connection.
  server.on('tlsClientError', ignore);
  return server;
}

// A CRL that cannot be read or parsed refuses the connection, as etcd's handshake check does.
function revokedPeer(socket: tls.TLSSocket, crlFile: string): boolean {
  const serial = socket.getPeerCertificate()?.serialNumber;
  if (!serial) return false;
  try {
    return isRevoked(crlFile, serial);
  } catch {
    return true;
  }
}
