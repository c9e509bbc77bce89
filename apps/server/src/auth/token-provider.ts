// What an auth token is, behind one interface (etcd's TokenProvider), chosen by --auth-token as etcd 3.4
// chooses it: "simple" (tokens.ts), "jwt,<options>" (jwt-tokens.ts), "" (no tokens: Authenticate always
// fails), anything else "auth: invalid auth options". Options are comma-separated key=value pairs; one
// without "=" or given twice is invalid too.
import { etcdError } from '../errors.js';
import { AuthOptionsError, INVALID_AUTH_OPTIONS, loadJwtKeys } from './jwt-options.js';
import { JwtTokens } from './jwt-tokens.js';
import { SimpleTokens } from './tokens.js';

/** Who a token names: the user and the auth revision the permission checks use. */
export interface TokenInfo {
  username: string;
  revision: number;
}

export interface TokenProvider {
  /** What the member that receives Authenticate proposes with it (simple: the token's random part). */
  prefix(): string;
  /**
   * The raft index this member must have applied before it can know `token` (0: none), or -1 for a
   * token it can never know.
   */
  indexNeeded(token: string): number;
  /** Applies an Authenticate entry at raft `index` for `user` at auth `revision`: the token to return. */
  assign(prefix: string, index: number, user: string, revision: number): string;
  /** The token's user and auth revision, or undefined for an unknown, expired or forged token. */
  info(token: string, currentRevision: number): TokenInfo | undefined;
  /** A deleted user or a changed password ends the user's sessions (where the provider can). */
  invalidateUser(user: string): void;
  /** Auth enabled or disabled: tokens issued before are gone (where the provider can). */
  clear(): void;
}

export { AuthOptionsError };

/** etcd's nop provider for an empty --auth-token: nothing can authenticate. */
class NoTokens implements TokenProvider {
  prefix(): string {
    return '';
  }
  indexNeeded(): number {
    return 0;
  }
  assign(): string {
    throw etcdError('AuthFailed');
  }
  info(): undefined {
    return undefined;
  }
  invalidateUser(): void {}
  clear(): void {}
}

/** Splits "type,k=v,..." as etcd's decomposeOpts does. */
export function decomposeTokenOptions(spec: string): { type: string; opts: Map<string, string> } {
  const [type, ...rest] = spec.split(',');
  const opts = new Map<string, string>();
  for (const pair of rest) {
    const kv = pair.split('=');
    if (kv.length !== 2)
      throw new AuthOptionsError(INVALID_AUTH_OPTIONS, `invalid token specific option: ${spec}`);
    if (opts.has(kv[0]!)) {
      throw new AuthOptionsError(
        INVALID_AUTH_OPTIONS,
        `invalid token specific option, duplicated parameters (${kv[0]}): ${spec}`,
      );
    }
    opts.set(kv[0]!, kv[1]!);
  }
  return { type: type!, opts };
}

/**
 * The provider --auth-token names; throws AuthOptionsError with etcd's message (`detail` is what etcd
 * logs before it). `ttlMs` is --auth-token-ttl, which only simple tokens use.
 */
export function newTokenProvider(spec: string, ttlMs: number, warn?: (msg: string) => void): TokenProvider {
  const { type, opts } = decomposeTokenOptions(spec);
  switch (type) {
    case 'simple':
      return new SimpleTokens(ttlMs);
    case 'jwt':
      return new JwtTokens(loadJwtKeys(opts, warn));
    case '':
      return new NoTokens();
    default:
      throw new AuthOptionsError(INVALID_AUTH_OPTIONS, `unknown token type: ${type}`);
  }
}
