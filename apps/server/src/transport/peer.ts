import type { Socket } from 'node:net';
import { dialPeer, PeerRejectedError } from './connect.js';
import { encodeFrame, type Frame, FrameType } from './frame.js';
import { PROTOCOL_VERSION, REMOVED_REASON } from './handshake.js';
import type { PeerTls } from './peer-tls.js';
import { decodeRpcResponse, encodeRpcRequest, type RpcResult } from './rpc.js';

export interface PeerOptions {
  localId: bigint;
  peerId: bigint;
  clusterId: () => bigint;
  urls: string[];
  onUnreachable: (id: bigint) => void;
  /** Nothing listens at the peer's address (the dial was refused): its process is down or restarting. */
  onDown?: (id: bigint) => void;
  /** A peer said this member was removed from the cluster. */
  onRemoved?: () => void;
  log: (level: 'info' | 'warn', msg: string) => void;
  /** Certificates for https:// peer URLs. */
  tls?: PeerTls;
}

const MIN_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 2000;
/** Messages held while (re)connecting; raft resends anything dropped beyond this. */
const MAX_QUEUED = 4096;
/** Socket buffer above which messages are dropped instead of piling up behind a slow peer. */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

/**
 * The one outbound stream to a peer. Messages written in the same tick leave in one socket write
 * (batching); there is no per-message acknowledgement, so appends pipeline freely over TCP.
 */
export class Peer {
  private socket: Socket | undefined;
  private connecting = false;
  private queue: Buffer[] = [];
  private queuedMsgs = 0;
  private flushScheduled = false;
  private backoffMs = MIN_BACKOFF_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private urlIndex = 0;
  private lastError = '';
  activeSince = 0;
  /** Bytes written to the stream and times it was lost (metrics). */
  sentBytes = 0;
  disconnects = 0;
  dropped = 0;
  private nextCall = 1;
  private readonly calls = new Map<number, { resolve: (r: RpcResult) => void; timer: NodeJS.Timeout }>();

  constructor(private opts: PeerOptions) {}

  get id(): bigint {
    return this.opts.peerId;
  }

  setUrls(urls: string[]): void {
    this.opts = { ...this.opts, urls };
  }

  isActive(): boolean {
    return this.socket !== undefined;
  }

  send(bytes: Uint8Array): void {
    if (this.closed) return;
    if (this.socket && this.socket.writableLength > MAX_BUFFERED_BYTES) {
      this.dropped++;
      this.opts.onUnreachable(this.opts.peerId);
      return;
    }
    if (!this.socket && this.queuedMsgs >= MAX_QUEUED) {
      this.dropped++;
      this.opts.onUnreachable(this.opts.peerId);
      return;
    }
    this.queue.push(...encodeFrame(FrameType.Message, bytes));
    this.queuedMsgs++;
    if (this.socket) this.scheduleFlush();
    else this.ensureConnecting();
  }

  /** Sends a request on the stream and waits for the peer's answer (connecting first if needed). */
  async call(method: string, body: Uint8Array, timeoutMs: number): Promise<RpcResult> {
    const end = Date.now() + timeoutMs;
    while (!this.socket) {
      if (this.closed || Date.now() > end) return { error: { code: 14, message: 'peer unreachable' } };
      this.ensureConnecting();
      await new Promise((r) => setTimeout(r, 20));
    }
    const id = this.nextCall++ >>> 0;
    return new Promise<RpcResult>((resolve) => {
      const timer = setTimeout(
        () => {
          this.calls.delete(id);
          resolve({ error: { code: 4, message: 'peer call timed out' } });
        },
        Math.max(1, end - Date.now()),
      );
      this.calls.set(id, { resolve, timer });
      this.socket!.write(
        Buffer.concat(encodeFrame(FrameType.RpcRequest, encodeRpcRequest(id, method, body))),
      );
    });
  }

  /**
   * Connects now instead of when the backoff ends: the peer just dialled us, so it is back (a member
   * restarted after a crash would otherwise hear nothing from the leader for up to MAX_BACKOFF_MS).
   */
  redialNow(): void {
    if (this.closed || this.socket || this.connecting) return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.backoffMs = MIN_BACKOFF_MS;
    this.ensureConnecting();
  }

  private onFrame(f: Frame): void {
    if (f.type !== FrameType.RpcResponse) return;
    const { id, result } = decodeRpcResponse(f.body);
    const c = this.calls.get(id);
    if (!c) return;
    this.calls.delete(id);
    clearTimeout(c.timer);
    c.resolve(result);
  }

  private failCalls(message: string): void {
    for (const c of this.calls.values()) {
      clearTimeout(c.timer);
      c.resolve({ error: { code: 14, message } });
    }
    this.calls.clear();
  }

  close(): void {
    this.failCalls('peer closed');
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.socket?.destroy();
    this.socket = undefined;
    this.queue = [];
  }

  /** Writes the queued messages now; the flush scheduled for the end of the tick finds nothing left. */
  flushNow(): void {
    if (this.flushScheduled) this.flush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (!this.socket || this.queue.length === 0) return;
    const bytes = Buffer.concat(this.queue);
    this.queue = [];
    this.queuedMsgs = 0;
    this.sentBytes += bytes.length;
    this.socket.write(bytes);
  }

  private ensureConnecting(): void {
    if (this.connecting || this.socket || this.retryTimer || this.closed) return;
    this.connecting = true;
    const url = this.opts.urls[this.urlIndex++ % Math.max(1, this.opts.urls.length)]!;
    const hello = {
      version: PROTOCOL_VERSION,
      clusterId: this.opts.clusterId(),
      from: this.opts.localId,
      to: this.opts.peerId,
      kind: 'stream' as const,
    };
    dialPeer(url, hello, 1000, (f) => this.onFrame(f), this.opts.tls).then(
      (socket) => {
        this.connecting = false;
        if (this.closed) {
          socket.destroy();
          return;
        }
        this.socket = socket;
        this.activeSince = Date.now();
        this.backoffMs = MIN_BACKOFF_MS;
        if (this.lastError) this.opts.log('info', `peer ${this.opts.peerId.toString(16)} became active`);
        this.lastError = '';
        socket.on('close', () => this.onDisconnect('connection closed'));
        socket.on('error', (err) => this.onDisconnect(err.message));
        this.flush();
      },
      (err: Error) => {
        this.connecting = false;
        this.dropped += this.queuedMsgs;
        this.queue = [];
        this.queuedMsgs = 0;
        this.opts.onUnreachable(this.opts.peerId);
        if (err.message !== this.lastError) {
          this.opts.log(
            'warn',
            `cannot reach peer ${this.opts.peerId.toString(16)} at ${url}: ${err.message}`,
          );
          this.lastError = err.message;
        }
        if ((err as NodeJS.ErrnoException).code === 'ECONNREFUSED') this.opts.onDown?.(this.opts.peerId);
        if (err instanceof PeerRejectedError && err.message.includes(REMOVED_REASON)) this.opts.onRemoved?.();
        // A refusal will not fix itself quickly; do not hammer the other cluster.
        this.retryLater(err instanceof PeerRejectedError ? MAX_BACKOFF_MS : undefined);
      },
    );
  }

  private onDisconnect(reason: string): void {
    if (!this.socket) return;
    this.socket.destroy();
    this.socket = undefined;
    this.activeSince = 0;
    this.disconnects++;
    this.failCalls(`lost peer: ${reason}`);
    this.opts.onUnreachable(this.opts.peerId);
    if (!this.closed) {
      this.opts.log('warn', `lost peer ${this.opts.peerId.toString(16)}: ${reason}`);
      this.lastError = reason;
      this.retryLater(MIN_BACKOFF_MS);
    }
  }

  private retryLater(delayMs?: number): void {
    if (this.closed || this.retryTimer) return;
    const d = delayMs ?? this.backoffMs;
    this.backoffMs = Math.min(MAX_BACKOFF_MS, this.backoffMs * 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      // Reconnect eagerly so heartbeats flow as soon as the peer is back.
      this.ensureConnecting();
    }, d);
    this.retryTimer.unref();
  }
}
