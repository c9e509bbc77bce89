import * as http2 from 'node:http2';

type StreamListener = (
  stream: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
  flags?: number,
  rawHeaders?: string[],
) => void;

/**
 * Serves one HTTP/2 stream with a plain (req, res) handler. etcd answers non-gRPC HTTP/2 requests (curl
 * over TLS negotiates h2 by ALPN) with its HTTP handlers; node builds its (req, res) compatibility objects
 * only inside a server's own 'stream' listener, so a private server lends us that listener.
 */
export function h2RequestAdapter(
  onRequest: (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void,
): StreamListener {
  const compat = http2.createServer();
  compat.on('request', onRequest);
  const listener = compat.listeners('stream')[0] as StreamListener | undefined;
  if (listener === undefined) throw new Error("node:http2 did not install its 'request' adapter");
  return (stream, headers, flags, rawHeaders) => listener.call(compat, stream, headers, flags, rawHeaders);
}
