// Certificate revocation as etcd 3.4 does it (--client-crl-file): after the handshake, a peer whose
// certificate serial number is listed in the CRL file is dropped. Like etcd, the file is read for every
// connection (so a replaced CRL applies at once) and its dates and signature are not checked, which is
// also why OpenSSL's own CRL checking (node's `crl` option, strict about nextUpdate) is not used.
import { readFileSync } from 'node:fs';

interface Der {
  tag: number;
  start: number;
  end: number;
}

function readTlv(buf: Buffer, off: number): Der & { next: number } {
  const tag = buf[off]!;
  let len = buf[off + 1]!;
  let start = off + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new Error('crl: unsupported DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i]!;
    start += n;
  }
  const end = start + len;
  if (end > buf.length) throw new Error('crl: truncated DER');
  return { tag, start, end, next: end };
}

function children(buf: Buffer, d: Der): Der[] {
  const out: Der[] = [];
  for (let off = d.start; off < d.end; ) {
    const c = readTlv(buf, off);
    out.push(c);
    off = c.next;
  }
  return out;
}

/** A serial number as lowercase hex without leading zero bytes (Go's SerialNumber.Bytes()). */
export function normalizeSerial(hex: string): string {
  return hex.toLowerCase().replace(/^(00)+/, '');
}

/** The serial numbers a CRL (DER, or PEM "X509 CRL") revokes. */
export function revokedSerials(crl: Buffer): Set<string> {
  const text = crl.toString('latin1');
  const pem = /-----BEGIN X509 CRL-----([\s\S]*?)-----END X509 CRL-----/.exec(text);
  const der = pem ? Buffer.from(pem[1]!.replace(/\s+/g, ''), 'base64') : crl;
  const list = readTlv(der, 0);
  const tbs = children(der, list)[0];
  if (list.tag !== 0x30 || tbs?.tag !== 0x30) throw new Error('crl: not a CertificateList');
  // TBSCertList: [version] signature issuer thisUpdate [nextUpdate] [revokedCertificates] [0] extensions
  const fields = children(der, tbs);
  let i = fields[0]?.tag === 0x02 ? 1 : 0;
  i += 3; // signature, issuer, thisUpdate
  if (fields[i] && (fields[i]!.tag === 0x17 || fields[i]!.tag === 0x18)) i++;
  const out = new Set<string>();
  const revoked = fields[i];
  if (revoked?.tag !== 0x30) return out;
  for (const entry of children(der, revoked)) {
    const serial = children(der, entry)[0];
    if (serial?.tag === 0x02)
      out.add(normalizeSerial(der.subarray(serial.start, serial.end).toString('hex')));
  }
  return out;
}

/** Whether the certificate with this serial (hex, as node's getPeerCertificate() gives it) is revoked. */
export function isRevoked(crlFile: string, serialHex: string): boolean {
  return revokedSerials(readFileSync(crlFile)).has(normalizeSerial(serialHex));
}
