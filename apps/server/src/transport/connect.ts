import type { Socket } from 'node:net';
import { encodeFrame, type Frame, FrameDecoder, FrameType } from './frame.js';
import { encodeHello, type Hello, PROTOCOL_VERSION } from './handshake.js';
import { dialPeerSocket, type PeerDialTls } from './peer-tls.js';

export class PeerRejectedError extends Error {
  constructor(reason: string) {
    super(`peer refused the connection: ${reason}`);
    this.name = 'PeerRejectedError';
  }
}

/**
 * Dials a peer URL and performs the hello exchange. Resolves with the socket and a decoder already
 * attached (frames after the welcome go to `onFrame`), or rejects when refused or unreachable.
 */
export function dialPeer(
  url: string,
  hello: Hello,
  timeoutMs: number,
  onFrame: (f: Frame) => void,
  peerTls?: PeerDialTls,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const { socket, ready } = dialPeerSocket(url, peerTls);
    socket.setNoDelay(true);
    const decoder = new FrameDecoder();
    let welcomed = false;
    const timer = setTimeout(() => fail(new Error(`dial ${url}: timed out`)), timeoutMs);
    const fail = (err: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    socket.on(ready, () => {
      socket.write(Buffer.concat(encodeFrame(FrameType.Hello, encodeHello(hello))));
    });
    socket.on('data', (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = decoder.push(chunk);
      } catch (err) {
        if (!welcomed) fail(err as Error);
        else socket.destroy(err as Error);
        return;
      }
      for (const f of frames) {
        if (!welcomed) {
          if (f.type === FrameType.Welcome) {
            welcomed = true;
            clearTimeout(timer);
            resolve(socket);
          } else if (f.type === FrameType.Reject) {
            fail(new PeerRejectedError(f.body.toString('utf8')));
            return;
          } else {
            fail(new Error(`dial ${url}: unexpected frame ${f.type} before welcome`));
            return;
          }
        } else {
          onFrame(f);
        }
      }
    });
    socket.on('error', (err) => {
      if (!welcomed) fail(err);
    });
    socket.on('close', () => {
      if (!welcomed) fail(new Error(`dial ${url}: connection closed during handshake`));
    });
  });
}

/** Asks a member at `url` for its cluster's members (the answer to an 'info' hello), as JSON text. */
export function fetchClusterInfo(url: string, timeoutMs: number, peerTls?: PeerDialTls): Promise<string> {
  return new Promise((resolve, reject) => {
    const { socket, ready } = dialPeerSocket(url, peerTls);
    const decoder = new FrameDecoder();
    const timer = setTimeout(() => done(new Error(`asking ${url} for the cluster: timed out`)), timeoutMs);
    let settled = false;
    const done = (err: Error | undefined, text?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(text!);
    };
    const hello = encodeHello({ version: PROTOCOL_VERSION, clusterId: 0n, from: 0n, to: 0n, kind: 'info' });
    socket.on(ready, () => socket.write(Buffer.concat(encodeFrame(FrameType.Hello, hello))));
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const f of decoder.push(chunk)) {
          if (f.type === FrameType.Welcome) done(undefined, f.body.toString('utf8'));
          else done(new PeerRejectedError(f.body.toString('utf8')));
        }
      } catch (err) {
        done(err as Error);
      }
    });
    socket.on('error', (err) => done(err));
    socket.on('close', () => done(new Error(`asking ${url} for the cluster: connection closed`)));
  });
}
