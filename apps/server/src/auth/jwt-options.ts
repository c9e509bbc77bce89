// The options of `--auth-token jwt,...` and the keys they name, read as etcd 3.4 reads them (auth/options.go
// with golang-jwt's PEM helpers), so that a command line etcd refuses is refused here with the same error.
//
// - sign-method (required): RS256/384/512, PS256/384/512, ES256/384/512, HS256/384/512. EdDSA and none
//   are names the JWT library knows but etcd 3.4 has no key loader for ("unsupported signing method").
// - priv-key / pub-key: file paths. RSA and ECDSA take either or both; with only pub-key the member can
//   verify tokens but not issue them. HMAC takes the priv-key file's bytes as the secret.
// - ttl: a Go duration, default 5m.
// Reading a file, a bad ttl or sign-method: "auth: invalid auth options". Key problems: the key error.
import { createPrivateKey, createPublicKey, type KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseDurationMs } from '../config/flags.js';

export class AuthOptionsError extends Error {
  constructor(
    message: string,
    /** What etcd logs before failing (its reason for the generic "invalid auth options"). */
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'AuthOptionsError';
  }
}

export const INVALID_AUTH_OPTIONS = 'auth: invalid auth options';

export type JwtFamily = 'RS' | 'PS' | 'ES' | 'HS';

export interface JwtMethod {
  /** The JWT `alg`, e.g. "RS256". */
  alg: string;
  family: JwtFamily;
  hash: 'sha256' | 'sha384' | 'sha512';
}

export interface JwtKeys {
  method: JwtMethod;
  /** Signs tokens; undefined on a verify-only member (RSA or ECDSA with only pub-key). */
  signKey?: KeyObject | Buffer;
  /** Checks tokens: the private key's public half, the public key, or the HMAC secret. */
  verifyKey: KeyObject | Buffer;
  ttlMs: number;
}

const KNOWN = new Set(['sign-method', 'pub-key', 'priv-key', 'ttl']);
/** Names golang-jwt resolves that etcd 3.4 then cannot load a key for (the Go type in its error). */
const UNSUPPORTED: Record<string, string> = {
  EdDSA: '*jwt.SigningMethodEd25519',
  none: '*jwt.signingMethodNone',
};

function methodOf(name: string | undefined): JwtMethod | undefined {
  const m = /^(RS|PS|ES|HS)(256|384|512)$/.exec(name ?? '');
  if (m === null) return undefined;
  return { alg: name!, family: m[1] as JwtFamily, hash: `sha${m[2]}` as JwtMethod['hash'] };
}

/**
 * Parses the type-specific options (after `jwt,`) and loads the keys. `warn` hears what etcd only logs
 * (unknown option names).
 */
export function loadJwtKeys(opts: Map<string, string>, warn: (msg: string) => void = () => {}): JwtKeys {
  let ttlMs = 5 * 60 * 1000;
  let pub: Buffer | undefined;
  let priv: Buffer | undefined;
  const fail = (detail: string) =>
    new AuthOptionsError(INVALID_AUTH_OPTIONS, `problem loading JWT options: ${detail}`);
  const ttl = opts.get('ttl') ?? '';
  if (ttl !== '') {
    try {
      ttlMs = parseDurationMs(ttl);
    } catch (e) {
      throw fail((e as Error).message);
    }
  }
  const read = (path: string | undefined): Buffer | undefined => {
    if (!path) return undefined;
    try {
      return readFileSync(path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why =
        code === 'ENOENT'
          ? 'no such file or directory'
          : code === 'EACCES'
            ? 'permission denied'
            : code === 'EISDIR'
              ? 'is a directory'
              : String(code);
      throw fail(`open ${path}: ${why}`);
    }
  };
  pub = read(opts.get('pub-key'));
  priv = read(opts.get('priv-key'));
  const name = opts.get('sign-method');
  const unsupported = UNSUPPORTED[name ?? ''];
  const method = methodOf(name);
  if (!method && !unsupported) throw fail('auth: invalid auth signature method');
  const unknown = [...opts.keys()].filter((k) => !KNOWN.has(k));
  if (unknown.length > 0) warn(`unknown JWT options: [${unknown.join(' ')}]`);
  if (unsupported) throw new AuthOptionsError(`unsupported signing method: ${unsupported}`);
  if (pub?.length === 0) pub = undefined;
  if (priv?.length === 0) priv = undefined;
  if (method!.family === 'HS') {
    if (!priv) throw new AuthOptionsError('auth: missing key data');
    return { method: method!, signKey: priv, verifyKey: priv, ttlMs };
  }
  const kind = method!.family === 'ES' ? 'ec' : 'rsa';
  const privKey = priv ? privateKeyFromPem(priv, kind) : undefined;
  const pubKey = pub ? publicKeyFromPem(pub, kind) : undefined;
  if (!privKey) {
    if (!pubKey) throw new AuthOptionsError('auth: missing key data');
    return { method: method!, verifyKey: pubKey, ttlMs };
  }
  if (pubKey && keysDisagree(privKey, pubKey)) {
    throw new AuthOptionsError("auth: public and private keys don't match");
  }
  return { method: method!, signKey: privKey, verifyKey: createPublicKey(privKey), ttlMs };
}

/**
 * etcd 3.4 compares the two keys with `&&` where `||` was meant: RSA keys disagree only if both exponent
 * and modulus differ, EC keys only if the curve and both coordinates differ. Kept, since etcd starts
 * with such pairs and signs with the private key.
 */
function keysDisagree(priv: KeyObject, pub: KeyObject): boolean {
  const a = createPublicKey(priv).export({ format: 'jwk' });
  const b = pub.export({ format: 'jwk' });
  if (a.kty === 'RSA') return a.e !== b.e && a.n !== b.n;
  return a.crv !== b.crv && a.x !== b.x && a.y !== b.y;
}

const NOT_PEM = 'invalid key: Key must be a PEM encoded PKCS1 or PKCS8 key';

/** Go's pem.Decode: the first block, whatever its label. */
function firstPemBlock(pem: Buffer): { label: string; der: Buffer } | undefined {
  const m = /-----BEGIN ([^-\r\n]*)-----\r?\n([\s\S]*?)-----END \1-----/.exec(pem.toString('latin1'));
  if (m === null) return undefined;
  const body = m[2]!.split(/\r?\n/).filter((l) => !l.includes(':'));
  return { label: m[1]!, der: Buffer.from(body.join(''), 'base64') };
}

function tryKey(f: () => KeyObject): KeyObject | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

const asPkcs1 = (der: Buffer) => tryKey(() => createPrivateKey({ key: der, format: 'der', type: 'pkcs1' }));
const asPkcs8 = (der: Buffer) => tryKey(() => createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }));
const asSec1 = (der: Buffer) => tryKey(() => createPrivateKey({ key: der, format: 'der', type: 'sec1' }));

/** golang-jwt's ParseRSAPrivateKeyFromPEM / ParseECPrivateKeyFromPEM, with their errors. */
function privateKeyFromPem(pem: Buffer, kind: 'rsa' | 'ec'): KeyObject {
  const block = firstPemBlock(pem);
  if (!block) throw new AuthOptionsError(NOT_PEM);
  const { der } = block;
  const first = kind === 'rsa' ? asPkcs1(der) : asSec1(der);
  const key = first ?? asPkcs8(der);
  if (!key) {
    // what Go's PKCS#8 parser says about the formats it recognises
    if (kind === 'rsa' && asSec1(der))
      throw new AuthOptionsError(
        'x509: failed to parse private key (use ParseECPrivateKey instead for this key format)',
      );
    if (kind === 'ec' && asPkcs1(der))
      throw new AuthOptionsError(
        'x509: failed to parse private key (use ParsePKCS1PrivateKey instead for this key format)',
      );
    // Go adds the ASN.1 details of where parsing stopped; those are not reproduced
    throw new AuthOptionsError("asn1: structure error: tags don't match");
  }
  if (key.asymmetricKeyType !== kind) {
    throw new AuthOptionsError(
      kind === 'rsa' ? 'key is not a valid RSA private key' : 'key is not a valid ECDSA private key',
    );
  }
  return key;
}

/** golang-jwt's ParseRSAPublicKeyFromPEM / ParseECPublicKeyFromPEM: PKIX, else a certificate's key. */
function publicKeyFromPem(pem: Buffer, kind: 'rsa' | 'ec'): KeyObject {
  const block = firstPemBlock(pem);
  if (!block) throw new AuthOptionsError(NOT_PEM);
  let key = tryKey(() => createPublicKey({ key: block.der, format: 'der', type: 'spki' }));
  if (!key) {
    try {
      key = new X509Certificate(block.der).publicKey;
    } catch {
      // Go's certificate parser gets past the outer SEQUENCE of a private key, not of garbage
      const sequence = asPkcs8(block.der) ?? asPkcs1(block.der) ?? asSec1(block.der);
      throw new AuthOptionsError(`x509: malformed ${sequence ? 'tbs ' : ''}certificate`);
    }
  }
  if (key.asymmetricKeyType !== kind) {
    throw new AuthOptionsError(
      kind === 'rsa' ? 'key is not a valid RSA public key' : 'key is not a valid ECDSA public key',
    );
  }
  return key;
}
