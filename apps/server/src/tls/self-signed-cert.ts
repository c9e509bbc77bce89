import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { isIP } from 'node:net';
import {
  bitString,
  boolean,
  directoryString,
  explicit,
  octetString,
  oid,
  sequence,
  set,
  smallInteger,
  time,
  tlv,
  unsignedInteger,
} from './der.js';

// A self-signed X.509 v3 certificate with an ECDSA key, as etcd's auto TLS makes one (pkg/transport SelfCert):
// subject and issuer O=<organization>, the hosts as subject alternative names, key usage digital signature +
// key encipherment, extended key usage server auth, basic constraints present and not a CA.

export type Curve = 'P-256' | 'P-384' | 'P-521';

/** Node's curve name, the digest Go pairs with it, and the signature algorithm's OID. */
const CURVES: Record<Curve, { name: string; hash: string; sigOid: string }> = {
  'P-256': { name: 'prime256v1', hash: 'sha256', sigOid: '1.2.840.10045.4.3.2' },
  'P-384': { name: 'secp384r1', hash: 'sha384', sigOid: '1.2.840.10045.4.3.3' },
  'P-521': { name: 'secp521r1', hash: 'sha512', sigOid: '1.2.840.10045.4.3.4' },
};

const OID = {
  organization: '2.5.4.10',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  basicConstraints: '2.5.29.19',
  subjectAltName: '2.5.29.17',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
};

export interface SelfSignedOptions {
  /** Host names and IP addresses (no ports) to list as subject alternative names. */
  hosts: string[];
  organization?: string;
  /** etcd 3.4 uses P-521 (and so ECDSA with SHA-512). */
  curve?: Curve;
  validDays?: number;
  /** Also allow the certificate as a TLS client's (extended key usage clientAuth). */
  clientAuth?: boolean;
  now?: Date;
}

export interface SelfSigned {
  /** PEM "CERTIFICATE". */
  cert: string;
  /** PEM "EC PRIVATE KEY" (SEC 1), the form Go's x509.MarshalECPrivateKey writes. */
  key: string;
  der: Buffer;
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return sequence(oid(id), ...(critical ? [boolean(true)] : []), octetString(value));
}

/** The GeneralNames of a subjectAltName: dNSName [2] or iPAddress [7], both implicit. */
function altNames(hosts: string[]): Buffer {
  const names = [...new Set(hosts.filter((h) => h !== ''))].map((h) => {
    const bare = h.replace(/^\[(.*)\]$/, '$1');
    const family = isIP(bare);
    if (family === 4) return tlv(0x87, Buffer.from(bare.split('.').map(Number)));
    if (family === 6) return tlv(0x87, ipv6Bytes(bare));
    return tlv(0x82, Buffer.from(h, 'latin1'));
  });
  return sequence(...names);
}

function ipv6Bytes(text: string): Buffer {
  const v4Words = (g: string) => {
    const b = g.split('.').map(Number);
    return [(b[0]! << 8) | b[1]!, (b[2]! << 8) | b[3]!];
  };
  const words = (part: string) =>
    part === ''
      ? []
      : part.split(':').flatMap((g) => (g.includes('.') ? v4Words(g) : [Number.parseInt(g, 16)]));
  const [head, tail] = text.split('%')[0]!.split('::');
  const h = words(head!);
  const t = tail === undefined ? [] : words(tail);
  const all = tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  const out = Buffer.alloc(16);
  for (let i = 0; i < 8; i++) out.writeUInt16BE(all[i] ?? 0, 2 * i);
  return out;
}

function toPem(label: string, der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN ${label}-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END ${label}-----\n`;
}

export function createSelfSignedCert(opts: SelfSignedOptions): SelfSigned {
  const curve = CURVES[opts.curve ?? 'P-521'];
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: curve.name });
  const now = opts.now ?? new Date();
  const notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000);
  const notAfter = new Date(notBefore.getTime() + (opts.validDays ?? 365) * 86_400_000);
  const name = sequence(set(sequence(oid(OID.organization), directoryString(opts.organization ?? 'etcd'))));
  const sigAlg = sequence(oid(curve.sigOid));
  // digitalSignature (bit 0) and keyEncipherment (bit 2): 101 then 5 unused bits.
  const keyUsage = bitString(Buffer.from([0xa0]), 5);
  const ekus = [OID.serverAuth, ...(opts.clientAuth ? [OID.clientAuth] : [])];
  const extensions = [
    extension(OID.keyUsage, true, keyUsage),
    extension(OID.extKeyUsage, false, sequence(...ekus.map(oid))),
    extension(OID.basicConstraints, true, sequence()),
  ];
  if (opts.hosts.some((h) => h !== ''))
    extensions.push(extension(OID.subjectAltName, false, altNames(opts.hosts)));
  const tbs = sequence(
    explicit(0, smallInteger(2)),
    // A random positive serial below 2^128, as Go's SelfCert draws it.
    unsignedInteger(randomBytes(16)),
    sigAlg,
    name,
    sequence(time(notBefore), time(notAfter)),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, sequence(...extensions)),
  );
  const signature = sign(curve.hash, tbs, privateKey);
  const der = sequence(tbs, sigAlg, bitString(signature));
  return {
    der,
    cert: toPem('CERTIFICATE', der),
    key: privateKey.export({ type: 'sec1', format: 'pem' }) as string,
  };
}
