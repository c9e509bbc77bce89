// etcd's "simple" token provider (one of token-provider.ts's): a token is 16 random letters chosen by the
// member that received the Authenticate call, then "." and the raft index of the entry that assigned it.
// Every member assigns it when it applies that entry, so tokens live in memory on each member and die
// with the process. A token expires after --auth-token-ttl without use; each use restarts its clock.
import { randomBytes } from 'node:crypto';
import type { TokenInfo, TokenProvider } from './token-provider.js';

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const PREFIX_LEN = 16;
const TOKEN = /^[A-Za-z]+\.(\d+)$/;

interface Entry {
  user: string;
  expiresAt: number;
}

export class SimpleTokens implements TokenProvider {
  private readonly tokens = new Map<string, Entry>();
  private assigned = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The random part of a new token (chosen before proposing, so every member assigns the same one). */
  static prefix(): string {
    const bytes = randomBytes(PREFIX_LEN);
    let s = '';
    for (const b of bytes) s += LETTERS[b % LETTERS.length];
    return s;
  }

  /** The raft index a well-formed token was assigned at, or -1 for a malformed token. */
  static index(token: string): number {
    const m = TOKEN.exec(token);
    return m === null ? -1 : Number(m[1]);
  }

  prefix(): string {
    return SimpleTokens.prefix();
  }

  indexNeeded(token: string): number {
    return SimpleTokens.index(token);
  }

  /** A simple token carries no revision: it runs at the store's current one. */
  info(token: string, currentRevision: number): TokenInfo | undefined {
    const user = this.user(token);
    return user === undefined ? undefined : { username: user, revision: currentRevision };
  }

  /** Applies an Authenticate entry: `${prefix}.${index}` now names `user`. */
  assign(prefix: string, index: number, user: string, _revision?: number): string {
    const token = `${prefix}.${index}`;
    if (++this.assigned % 256 === 0) this.sweep();
    this.tokens.set(token, { user, expiresAt: this.now() + this.ttlMs });
    return token;
  }

  /** The user a live token names (its TTL restarts), or undefined. */
  user(token: string): string | undefined {
    const e = this.tokens.get(token);
    if (e === undefined) return undefined;
    const now = this.now();
    if (now > e.expiresAt) {
      this.tokens.delete(token);
      return undefined;
    }
    e.expiresAt = now + this.ttlMs;
    return e.user;
  }

  /** A deleted user or a changed password ends the user's sessions. */
  invalidateUser(user: string): void {
    for (const [t, e] of this.tokens) if (e.user === user) this.tokens.delete(t);
  }

  /** Auth disabled: every token is gone. */
  clear(): void {
    this.tokens.clear();
  }

  get size(): number {
    return this.tokens.size;
  }

  private sweep(): void {
    const now = this.now();
    for (const [t, e] of this.tokens) if (now > e.expiresAt) this.tokens.delete(t);
  }
}
