// etcd's JWT token provider. A token is a signed JWT with the claims etcd 3.4 puts in it (username,
// revision: the auth revision at Authenticate, exp: issue time + ttl, in seconds), so any member holding
// the key verifies it without having seen it issued: nothing is kept per token. Consequences, as in etcd:
// a token outlives a password change or user deletion until exp (permission checks still fail for a
// deleted user), and any auth change (revision bump) makes older tokens fail with "revision of auth store
// is old"; a token is not renewed by use. A member with only the public key verifies but cannot issue.
import { constants, createHmac, type KeyObject, sign, timingSafeEqual, verify } from 'node:crypto';
import type { JwtKeys } from './jwt-options.js';
import type { TokenInfo, TokenProvider } from './token-provider.js';

const ERR_VERIFY_ONLY = 'auth: token signing attempted with verify-only key';
const CURVE_BITS: Record<string, number> = { sha256: 256, sha384: 384, sha512: 521 };
const CURVE_NAMES: Record<string, string> = {
  sha256: 'prime256v1',
  sha384: 'secp384r1',
  sha512: 'secp521r1',
};

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

export class JwtTokens implements TokenProvider {
  /** The header every token of this member carries, encoded once. */
  private readonly header: string;

  constructor(
    private readonly keys: JwtKeys,
    private readonly nowMs: () => number = Date.now,
  ) {
    // golang-jwt marshals its header map with sorted keys
    this.header = b64url(JSON.stringify({ alg: keys.method.alg, typ: 'JWT' }));
  }

  get verifyOnly(): boolean {
    return this.keys.signKey === undefined;
  }

  prefix(): string {
    return '';
  }

  indexNeeded(): number {
    return 0;
  }

  assign(_prefix: string, _index: number, user: string, revision: number): string {
    if (this.keys.signKey === undefined) throw new Error(ERR_VERIFY_ONLY);
    const exp = Math.floor((this.nowMs() + this.keys.ttlMs) / 1000);
    // sorted keys, as Go marshals a map
    const claims = b64url(JSON.stringify({ exp, revision, username: user }));
    const input = `${this.header}.${claims}`;
    return `${input}.${b64url(this.signature(input))}`;
  }

  info(token: string): TokenInfo | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    let header: any;
    let claims: any;
    try {
      header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString());
      claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString());
    } catch {
      return undefined;
    }
    if (header?.alg !== this.keys.method.alg || claims === null || typeof claims !== 'object')
      return undefined;
    const now = Math.floor(this.nowMs() / 1000);
    // golang-jwt's (v4, as Debian builds etcd with) MapClaims.Valid: exp, iat and nbf when present
    if (!timeClaimOk(claims.exp, (v) => now < v)) return undefined;
    if (!timeClaimOk(claims.iat, (v) => now >= v)) return undefined;
    if (!timeClaimOk(claims.nbf, (v) => now >= v)) return undefined;
    if (!this.verifies(`${parts[0]}.${parts[1]}`, Buffer.from(parts[2]!, 'base64url'))) return undefined;
    // etcd reads these two without checking them (a token it signed always has them)
    if (typeof claims.username !== 'string' || typeof claims.revision !== 'number') return undefined;
    return { username: claims.username, revision: claims.revision };
  }

  /** Nothing is kept per token, so nothing can be revoked (as etcd's JWT provider). */
  invalidateUser(): void {}

  clear(): void {}

  private signature(input: string): Buffer {
    const { method, signKey } = this.keys;
    if (method.family === 'HS')
      return createHmac(method.hash, signKey as Buffer)
        .update(input)
        .digest();
    const key = signKey as KeyObject;
    if (method.family === 'ES') {
      // golang-jwt refuses a key of another size than the method's curve
      if (key.asymmetricKeyDetails?.namedCurve !== CURVE_NAMES[method.hash])
        throw new Error('key is invalid');
      return sign(method.hash, Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
    }
    if (method.family === 'PS') {
      return sign(method.hash, Buffer.from(input), {
        key,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
      });
    }
    return sign(method.hash, Buffer.from(input), key);
  }

  private verifies(input: string, sig: Buffer): boolean {
    const { method, verifyKey } = this.keys;
    try {
      if (method.family === 'HS') {
        const want = createHmac(method.hash, verifyKey as Buffer)
          .update(input)
          .digest();
        return want.length === sig.length && timingSafeEqual(want, sig);
      }
      const key = verifyKey as KeyObject;
      if (method.family === 'ES') {
        if (sig.length !== 2 * Math.ceil(CURVE_BITS[method.hash]! / 8)) return false;
        return verify(method.hash, Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }, sig);
      }
      if (method.family === 'PS') {
        return verify(
          method.hash,
          Buffer.from(input),
          { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO },
          sig,
        );
      }
      return verify(method.hash, Buffer.from(input), key, sig);
    } catch {
      return false;
    }
  }
}

function timeClaimOk(v: unknown, ok: (v: number) => boolean): boolean {
  if (v === undefined) return true;
  if (typeof v !== 'number') return false;
  // golang-jwt treats 0 as absent and compares whole seconds
  return v === 0 || ok(Math.trunc(v));
}
