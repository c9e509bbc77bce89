import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadJwtKeys } from './jwt-options.js';
import { JwtTokens } from './jwt-tokens.js';
import { AuthOptionsError, decomposeTokenOptions, newTokenProvider } from './token-provider.js';

// Keys made by openssl, as an operator would make them for etcd.
describe('JWT tokens', () => {
  let dir: string;
  const k = (name: string) => join(dir, name);
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'jwt-'));
    const ossl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
    ossl('genrsa', '-out', k('rsa.pem'), '2048');
    ossl('rsa', '-in', k('rsa.pem'), '-pubout', '-out', k('rsa.pub'));
    ossl('genrsa', '-out', k('rsa2.pem'), '2048');
    ossl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', k('ec256.pem'));
    ossl('ec', '-in', k('ec256.pem'), '-pubout', '-out', k('ec256.pub'));
    ossl('ecparam', '-name', 'secp384r1', '-genkey', '-noout', '-out', k('ec384.pem'));
    ossl('ecparam', '-name', 'secp521r1', '-genkey', '-noout', '-out', k('ec521.pem'));
    ossl('rand', '-out', k('hs.key'), '32');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const provider = (spec: string, now?: () => number) => {
    const { opts } = decomposeTokenOptions(spec);
    return new JwtTokens(loadJwtKeys(opts), now);
  };

  test('every signing method etcd 3.4 loads keys for signs and verifies', () => {
    const cases: [string, string][] = [
      ['RS256', 'rsa.pem'],
      ['RS384', 'rsa.pem'],
      ['RS512', 'rsa.pem'],
      ['PS256', 'rsa.pem'],
      ['PS384', 'rsa.pem'],
      ['PS512', 'rsa.pem'],
      ['ES256', 'ec256.pem'],
      ['ES384', 'ec384.pem'],
      ['ES512', 'ec521.pem'],
      ['HS256', 'hs.key'],
      ['HS384', 'hs.key'],
      ['HS512', 'hs.key'],
    ];
    for (const [alg, key] of cases) {
      const p = provider(`jwt,sign-method=${alg},priv-key=${k(key)}`);
      const t = p.assign('', 9, 'alice', 7);
      const [h, c] = t.split('.').map((s) => Buffer.from(s, 'base64url').toString());
      assert.equal(h, `{"alg":"${alg}","typ":"JWT"}`);
      assert.match(c!, /^\{"exp":\d+,"revision":7,"username":"alice"\}$/);
      assert.deepEqual(p.info(t), { username: 'alice', revision: 7 }, alg);
      assert.equal(p.indexNeeded(), 0);
    }
  });

  test('a tampered, re-signed, truncated or wrong-algorithm token is invalid', () => {
    const p = provider(`jwt,sign-method=RS256,priv-key=${k('rsa.pem')}`);
    const t = p.assign('', 1, 'alice', 3);
    const [h, c, s] = t.split('.');
    const forged = Buffer.from(JSON.stringify({ exp: 9999999999, revision: 3, username: 'root' })).toString(
      'base64url',
    );
    assert.equal(p.info(`${h}.${forged}.${s}`), undefined);
    assert.equal(p.info(`${h}.${c}.${s!.slice(0, -4)}AAAA`), undefined);
    assert.equal(p.info(`${h}.${c}`), undefined);
    assert.equal(p.info(`${t}.x`), undefined);
    assert.equal(p.info('abcdefghijklmnop.12'), undefined);
    assert.equal(p.info(''), undefined);
    // signed by another key
    const other = provider(`jwt,sign-method=RS256,priv-key=${k('rsa2.pem')}`);
    assert.equal(p.info(other.assign('', 1, 'alice', 3)), undefined);
    // the same key under another algorithm (PS256) is refused: the header must name ours
    const ps = provider(`jwt,sign-method=PS256,priv-key=${k('rsa.pem')}`);
    assert.equal(p.info(ps.assign('', 1, 'alice', 3)), undefined);
    // alg "none"
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${c}.`;
    assert.equal(p.info(none), undefined);
  });

  test('expiry: valid strictly before exp (ttl from the option, default 5m)', () => {
    let now = 1_700_000_000_500;
    const p = provider(`jwt,sign-method=ES256,priv-key=${k('ec256.pem')},ttl=2s`, () => now);
    const t = p.assign('', 1, 'bob', 2);
    const exp = JSON.parse(Buffer.from(t.split('.')[1]!, 'base64url').toString()).exp;
    assert.equal(exp, 1_700_000_002);
    now += 1000;
    assert.ok(p.info(t));
    now = 1_700_000_002_000;
    assert.equal(p.info(t), undefined);
    const d = provider(`jwt,sign-method=ES256,priv-key=${k('ec256.pem')}`, () => 0);
    const e = JSON.parse(Buffer.from(d.assign('', 1, 'bob', 2).split('.')[1]!, 'base64url').toString()).exp;
    assert.equal(e, 300);
  });

  test('pub-key only: verifies what the private key signed, refuses to issue', () => {
    const signer = provider(`jwt,sign-method=RS256,priv-key=${k('rsa.pem')},pub-key=${k('rsa.pub')}`);
    const verifier = provider(`jwt,sign-method=RS256,pub-key=${k('rsa.pub')}`);
    assert.equal(verifier.verifyOnly, true);
    const t = signer.assign('', 1, 'carol', 5);
    assert.deepEqual(verifier.info(t), { username: 'carol', revision: 5 });
    assert.throws(
      () => verifier.assign('', 2, 'carol', 5),
      /^Error: auth: token signing attempted with verify-only key$/,
    );
    const ec = provider(`jwt,sign-method=ES256,pub-key=${k('ec256.pub')}`);
    assert.equal(ec.verifyOnly, true);
  });

  test("an ES key of another curve than the method's signs nothing (golang-jwt: key is invalid)", () => {
    const p = provider(`jwt,sign-method=ES256,priv-key=${k('ec384.pem')}`);
    assert.throws(() => p.assign('', 1, 'dave', 1), /^Error: key is invalid$/);
  });

  test("--auth-token parsing errors carry etcd's texts", () => {
    const err = (spec: string) => {
      try {
        newTokenProvider(spec, 1000);
      } catch (e) {
        assert.ok(e instanceof AuthOptionsError, String(e));
        return e.detail ? `${e.detail} / ${e.message}` : e.message;
      }
      return 'started';
    };
    assert.equal(err('simple'), 'started');
    assert.equal(err(''), 'started');
    assert.equal(err('bogus'), 'unknown token type: bogus / auth: invalid auth options');
    assert.equal(
      err('jwt,sign-method'),
      'invalid token specific option: jwt,sign-method / auth: invalid auth options',
    );
    assert.equal(
      err('jwt,ttl=1m,ttl=2m'),
      'invalid token specific option, duplicated parameters (ttl): jwt,ttl=1m,ttl=2m / auth: invalid auth options',
    );
    assert.equal(
      err('jwt'),
      'problem loading JWT options: auth: invalid auth signature method / auth: invalid auth options',
    );
    assert.equal(
      err(`jwt,sign-method=RS256,ttl=abc,priv-key=${k('rsa.pem')}`),
      'problem loading JWT options: time: invalid duration "abc" / auth: invalid auth options',
    );
    assert.equal(
      err(`jwt,sign-method=RS256,priv-key=${k('missing')}`),
      `problem loading JWT options: open ${k('missing')}: no such file or directory / auth: invalid auth options`,
    );
    assert.equal(err('jwt,sign-method=RS256'), 'auth: missing key data');
    assert.equal(err('jwt,sign-method=HS256'), 'auth: missing key data');
    assert.equal(
      err(`jwt,sign-method=EdDSA,priv-key=${k('rsa.pem')}`),
      'unsupported signing method: *jwt.SigningMethodEd25519',
    );
    assert.equal(
      err(`jwt,sign-method=RS256,priv-key=${k('hs.key')}`),
      'invalid key: Key must be a PEM encoded PKCS1 or PKCS8 key',
    );
    assert.equal(
      err(`jwt,sign-method=RS256,priv-key=${k('ec256.pem')}`),
      'x509: failed to parse private key (use ParseECPrivateKey instead for this key format)',
    );
    assert.equal(
      err(`jwt,sign-method=ES256,priv-key=${k('rsa.pem')}`),
      'key is not a valid ECDSA private key',
    );
    assert.equal(err(`jwt,sign-method=RS256,pub-key=${k('rsa.pem')}`), 'x509: malformed tbs certificate');
    assert.equal(err(`jwt,sign-method=RS256,pub-key=${k('ec256.pub')}`), 'key is not a valid RSA public key');
    writeFileSync(k('garbage.pem'), '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n');
    assert.equal(err(`jwt,sign-method=ES256,pub-key=${k('garbage.pem')}`), 'x509: malformed certificate');
    // etcd's pair check only fails when every part differs, so an RSA pair never does
    assert.equal(err(`jwt,sign-method=RS256,priv-key=${k('rsa2.pem')},pub-key=${k('rsa.pub')}`), 'started');
  });
});
