import { mkdtempSync, rmSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import { join } from 'node:path';
import { dialPeer } from './connect.js';
import { encodeFrame, type Frame, FrameDecoder, FrameType } from './frame.js';
import { checkHello, decodeHello, type Hello, PROTOCOL_VERSION } from './handshake.js';
import { Peer } from './peer.js';
import { createPeerServer, type PeerTls } from './peer-tls.js';
import { decodeRpcRequest, encodeRpcResponse, type RpcResult } from './rpc.js';
import { type SnapshotFile, SnapshotReceiver, streamSnapshot } from './snapshot-stream.js';

const TLS_HANDSHAKE_RECORD = 0x16;

export interface TransportHandlers {
  /** A raft message arrived from a peer. */
  onMessage(from: bigint, bytes: Buffer): void;
  /** A snapshot arrived: its raft message and a directory holding its files (owned by the callee now). */
  onSnapshot(from: bigint, message: Buffer, dir: string): Promise<void>;
  /** The peer could not be reached; raft should slow down sending to it. */
  onUnreachable(id: bigint): void;
  /** A dial to the peer was refused: no process listens at its address (it crashed or is restarting). */
  onPeerDown?(id: bigint): void;
  /** Whether a snapshot reached the peer (raft's ReportSnapshot). */
  onSnapshotStatus(id: bigint, ok: boolean): void;
  /** Removed members are refused. */
  isRemoved(id: bigint): boolean;
  /** A peer refused this member because it was removed from the cluster. */
  onRemoved?(): void;
  /** The members as JSON, for a member joining the cluster ('info' connections). */
  clusterInfo?(): string;
  /** A request a peer forwarded (e.g. a lease keep-alive to the leader). */
  onRpc?(from: bigint, method: string, body: Buffer): Promise<RpcResult>;
}

export interface TransportOptions {
  localId: bigint;
  clusterId: bigint;
  /** host/port pairs to listen on (from --listen-peer-urls); `tls` for https:// ones. */
  listen: { host: string; port: number; tls?: boolean }[];
  /** Certificates for https:// peer URLs, listening and dialing (etcd's --peer-* TLS flags). */
  tls?: PeerTls;
  /** Incoming snapshots are received under here. */
  snapshotTmpDir: string;
  log?: (level: 'info' | 'warn', msg: string) => void;
}

/**
 * Peer-to-peer messaging over TCP: one outbound stream per peer carrying raft messages in frames, inbound
 * streams from every peer, and separate connections for snapshot transfers.
 */
export class Transport {
  private readonly servers: Server[] = [];
  private readonly peers = new Map<bigint, Peer>();
  private readonly inbound = new Set<Socket>();
  /** TCP connections under the inbound ones (TLS handshakes in progress included), cut on close. */
  private readonly raw = new Set<Socket>();
  private readonly inboundFrom = new Map<Socket, bigint>();
  /** Bytes received per member (0 until the sender's hello says who it is), for metrics. */
  readonly receivedBytes = new Map<bigint, number>();
  private clusterId: bigint;
  private readonly log: (level: 'info' | 'warn', msg: string) => void;
  private closed = false;

  constructor(
    private readonly opts: TransportOptions,
    private readonly handlers: TransportHandlers,
  ) {
    this.clusterId = opts.clusterId;
    this.log = opts.log ?? (() => {});
  }

  /** Listens on every peer address; resolves with the bound ports (useful with port 0). */
  async start(): Promise<number[]> {
    const ports: number[] = [];
    for (const { host, port, tls } of this.opts.listen) {
      const server = createPeerServer(
        tls === true,
        this.opts.tls,
        (s) => this.accept(s, tls === true),
        (raw) => this.trackRaw(raw),
        this.log,
      );
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const addr = server.address();
      ports.push(typeof addr === 'object' && addr ? addr.port : port);
      this.servers.push(server);
    }
    return ports;
  }

  setClusterId(id: bigint): void {
    this.clusterId = id;
  }

  addPeer(id: bigint, urls: string[]): void {
    if (id === this.opts.localId) return;
    const existing = this.peers.get(id);
    if (existing) {
      existing.setUrls(urls);
      return;
    }
    this.peers.set(
      id,
      new Peer({
        localId: this.opts.localId,
        peerId: id,
        clusterId: () => this.clusterId,
        urls,
        onUnreachable: (pid) => this.handlers.onUnreachable(pid),
        onDown: (pid) => this.handlers.onPeerDown?.(pid),
        onRemoved: () => this.handlers.onRemoved?.(),
        log: this.log,
        tls: this.opts.tls,
      }),
    );
  }

  /** Stops talking to a member; its inbound streams are cut too, so when it redials it hears why. */
  removePeer(id: bigint): void {
    this.peers.get(id)?.close();
    this.peers.delete(id);
    for (const [socket, from] of this.inboundFrom) if (from === id) socket.destroy();
  }

  /** Dials every peer now (a starting member announces itself, and they dial back at once). */
  connectAll(): void {
    for (const p of this.peers.values()) p.redialNow();
  }

  hasPeer(id: bigint): boolean {
    return this.peers.has(id);
  }

  /** Each outbound stream: connected or not, bytes sent, times lost, messages dropped. */
  peerStats(): { id: bigint; active: boolean; sentBytes: number; disconnects: number; dropped: number }[] {
    return [...this.peers.values()].map((p) => ({
      id: p.id,
      active: p.isActive(),
      sentBytes: p.sentBytes,
      disconnects: p.disconnects,
      dropped: p.dropped,
    }));
  }

  /** When the outbound stream to `id` last became active (0: not connected). */
  activeSince(id: bigint): number {
    return this.peers.get(id)?.activeSince ?? 0;
  }

  /** Calls `method` on peer `to` over its stream; errors come back in the result. */
  call(to: bigint, method: string, body: Uint8Array, timeoutMs: number): Promise<RpcResult> {
    const p = this.peers.get(to);
    if (!p) return Promise.resolve({ error: { code: 14, message: 'unknown peer' } });
    return p.call(method, body, timeoutMs);
  }

  send(to: bigint, bytes: Uint8Array): void {
    const p = this.peers.get(to);
    if (p) p.send(bytes);
  }

  /** Writes what send() queued now instead of at the end of the tick (before the raft loop blocks on disk). */
  flush(): void {
    for (const p of this.peers.values()) p.flushNow();
  }

  /** Sends a snapshot on its own connection; reports the outcome through onSnapshotStatus. */
  sendSnapshot(to: bigint, message: Uint8Array, files: SnapshotFile[], peerUrls: string[]): void {
    const hello: Hello = {
      version: PROTOCOL_VERSION,
      clusterId: this.clusterId,
      from: this.opts.localId,
      to,
      kind: 'snapshot',
    };
    const run = async () => {
      let done!: () => void;
      const acked = new Promise<void>((r) => (done = r));
      const socket = await dialPeer(
        peerUrls[0]!,
        hello,
        5000,
        (f) => {
          if (f.type === FrameType.SnapshotDone) done();
        },
        this.opts.tls,
      );
      try {
        const closed = new Promise<never>((_, rej) =>
          socket.once('close', () =>
            rej(new Error('snapshot connection closed before the receiver was done')),
          ),
        );
        closed.catch(() => {});
        await Promise.race([streamSnapshot(socket, message, files), closed]);
        await Promise.race([acked, closed]);
      } finally {
        socket.destroy();
      }
    };
    run().then(
      () => this.handlers.onSnapshotStatus(to, true),
      (err: Error) => {
        this.log('warn', `sending snapshot to ${to.toString(16)} failed: ${err.message}`);
        this.handlers.onSnapshotStatus(to, false);
      },
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.peers.values()) p.close();
    this.peers.clear();
    for (const s of this.inbound) s.destroy();
    for (const s of this.raw) s.destroy();
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }

  private trackRaw(socket: Socket): void {
    this.raw.add(socket);
    socket.on('close', () => this.raw.delete(socket));
  }

  private accept(socket: Socket, secure: boolean): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.inbound.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => {
      this.inbound.delete(socket);
      this.inboundFrom.delete(socket);
    });
    socket.on('error', () => {});
    const decoder = new FrameDecoder();
    let hello: Hello | undefined;
    let snapshot: SnapshotReceiver | undefined;
    let snapshotDir = '';
    let sawData = false;
    const handshakeTimer = setTimeout(() => socket.destroy(), 5000);
    socket.on('close', () => clearTimeout(handshakeTimer));
    socket.on('data', (chunk: Buffer) => {
      // A hello frame starts with its length (28); 0x16 is a TLS ClientHello sent to an http:// URL.
      const first = !sawData;
      sawData = true;
      if (first && !secure && chunk[0] === TLS_HANDSHAKE_RECORD) {
        this.log(
          'warn',
          `refused peer connection from ${socket.remoteAddress}: TLS handshake on an http:// peer URL`,
        );
        socket.destroy();
        return;
      }
      const from = hello?.from ?? 0n;
      this.receivedBytes.set(from, (this.receivedBytes.get(from) ?? 0) + chunk.length);
      let frames: Frame[];
      try {
        frames = decoder.push(chunk);
      } catch (err) {
        this.log('warn', `dropping peer connection: ${(err as Error).message}`);
        socket.destroy();
        return;
      }
      for (const f of frames) {
        if (!hello) {
          clearTimeout(handshakeTimer);
          let reason: string | undefined;
          try {
            if (f.type !== FrameType.Hello) throw new Error('expected a hello frame');
            hello = decodeHello(f.body);
            if (hello.kind === 'info') {
              const info = this.handlers.clusterInfo?.() ?? '';
              socket.end(Buffer.concat(encodeFrame(FrameType.Welcome, Buffer.from(info, 'utf8'))));
              socket.removeAllListeners('data');
              return;
            }
            reason = checkHello(hello, this.opts.localId, this.clusterId, this.handlers.isRemoved);
          } catch (err) {
            reason = (err as Error).message;
          }
          if (reason) {
            this.log('warn', `refused peer connection from ${socket.remoteAddress}: ${reason}`);
            socket.end(Buffer.concat(encodeFrame(FrameType.Reject, Buffer.from(reason, 'utf8'))));
            hello = undefined;
            socket.removeAllListeners('data');
            return;
          }
          socket.write(Buffer.concat(encodeFrame(FrameType.Welcome, Buffer.alloc(0))));
          this.inboundFrom.set(socket, hello!.from);
          // The peer is up: our stream to it need not wait out a reconnect backoff.
          if (hello!.kind === 'stream') this.peers.get(hello!.from)?.redialNow();
          if (hello!.kind === 'snapshot') {
            snapshotDir = mkdtempSync(join(this.opts.snapshotTmpDir, 'recv-'));
            snapshot = new SnapshotReceiver(snapshotDir);
            socket.on('close', () => {
              if (snapshot && !snapshot.done) rmSync(snapshotDir, { recursive: true, force: true });
            });
          }
          continue;
        }
        if (snapshot) {
          let finished: boolean;
          try {
            finished = snapshot.onFrame(f);
          } catch (err) {
            this.log('warn', `bad snapshot stream: ${(err as Error).message}`);
            socket.destroy();
            return;
          }
          if (finished) this.finishSnapshot(socket, hello.from, snapshot, snapshotDir);
          continue;
        }
        if (f.type === FrameType.Message) this.handlers.onMessage(hello.from, f.body);
        else if (f.type === FrameType.RpcRequest) this.serveRpc(socket, hello.from, f.body);
      }
    });
  }

  private serveRpc(socket: Socket, from: bigint, body: Buffer): void {
    let req: { id: number; method: string; body: Buffer };
    try {
      req = decodeRpcRequest(body);
    } catch {
      socket.destroy();
      return;
    }
    const handler = this.handlers.onRpc;
    const run = handler
      ? handler(from, req.method, req.body).catch(
          (err: Error): RpcResult => ({ error: { code: 2, message: err.message } }),
        )
      : Promise.resolve<RpcResult>({ error: { code: 12, message: `unknown peer method ${req.method}` } });
    run.then((result) => {
      if (!socket.destroyed)
        socket.write(Buffer.concat(encodeFrame(FrameType.RpcResponse, encodeRpcResponse(req.id, result))));
    });
  }

  private finishSnapshot(socket: Socket, from: bigint, rx: SnapshotReceiver, dir: string): void {
    rx.flushed()
      .then(() => {
        if (!rx.message) throw new Error('snapshot stream carried no raft message');
        return this.handlers.onSnapshot(from, rx.message, dir);
      })
      .then(
        () => socket.end(Buffer.concat(encodeFrame(FrameType.SnapshotDone, Buffer.alloc(0)))),
        (err: Error) => {
          this.log('warn', `installing snapshot from ${from.toString(16)} failed: ${err.message}`);
          rmSync(dir, { recursive: true, force: true });
          socket.destroy();
        },
      );
  }
}
