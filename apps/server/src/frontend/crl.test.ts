import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeCa } from '../test-certs.js';
import { isRevoked, normalizeSerial, revokedSerials } from './crl.js';

/** A CA with `openssl ca`'s database, two issued certificates, the first revoked; CRL in PEM and DER. */
function makeCrl(dir: string): { revoked: string; kept: string; pem: string; der: string } {
  const f = (n: string) => join(dir, n);
  const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' }).toString();
  writeFileSync(f('index.txt'), '');
  writeFileSync(
    f('ca.cnf'),
    `[ca]\ndefault_ca=d\n[d]\ndatabase=${f('index.txt')}\ncrlnumber=${f('crlnumber')}\ndefault_md=sha256\ndefault_crl_days=1\n`,
  );
  writeFileSync(f('crlnumber'), '01\n');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  makeCa(dir, 'ca');
  const serials: string[] = [];
  for (const [name, serial] of [
    ['a', '00ff01'],
    ['b', '7a'],
  ] as const) {
    ossl('req', ...ec, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', `/CN=${name}`);
    ossl(
      'x509',
      '-req',
      '-in',
      f(`${name}.csr`),
      '-CA',
      f('ca.crt'),
      '-CAkey',
      f('ca.key'),
      '-set_serial',
      `0x${serial}`,
      '-out',
      f(`${name}.crt`),
      '-days',
      '1',
    );
    serials.push(
      ossl('x509', '-in', f(`${name}.crt`), '-noout', '-serial')
        .trim()
        .replace('serial=', ''),
    );
  }
  ossl('ca', '-config', f('ca.cnf'), '-keyfile', f('ca.key'), '-cert', f('ca.crt'), '-revoke', f('a.crt'));
  ossl(
    'ca',
    '-config',
    f('ca.cnf'),
    '-keyfile',
    f('ca.key'),
    '-cert',
    f('ca.crt'),
    '-gencrl',
    '-out',
    f('crl.pem'),
  );
  ossl('crl', '-in', f('crl.pem'), '-outform', 'DER', '-out', f('crl.der'));
  return { revoked: serials[0]!, kept: serials[1]!, pem: f('crl.pem'), der: f('crl.der') };
}

describe('CRL (--client-crl-file)', () => {
  let dir: string;
  let crl: ReturnType<typeof makeCrl>;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'etcd-crl-'));
    crl = makeCrl(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('lists the revoked serial, not the other, from PEM and DER alike', () => {
    for (const file of [crl.pem, crl.der]) {
      assert.deepEqual([...revokedSerials(readFileSync(file))], [normalizeSerial(crl.revoked)]);
      assert.equal(isRevoked(file, crl.revoked), true);
      assert.equal(isRevoked(file, crl.kept), false);
    }
  });

  it('compares serials as numbers: case and leading zero bytes do not matter', () => {
    assert.equal(isRevoked(crl.der, `00${crl.revoked.toLowerCase()}`), true);
  });

  it('a file that is not a CRL throws (the listener then refuses the connection)', () => {
    const junk = join(dir, 'junk');
    writeFileSync(junk, 'not a crl');
    assert.throws(() => isRevoked(junk, crl.kept));
  });
});
