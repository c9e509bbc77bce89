import { X509Certificate } from 'node:crypto';
import { lookup, Resolver } from 'node:dns/promises';

// etcd's check on TLS listeners that a client certificate naming hosts names the one connecting: its IP
// addresses must include the remote address, or one of its DNS names must resolve to it (forward lookup) or
// be what the address resolves to (reverse, `*.` wildcards allowed). A certificate with no names passes.
// etcd's peer listener skips it with --experimental-peer-skip-client-san-verification.

function namesOf(cert: X509Certificate): { ips: string[]; dns: string[] } {
  const ips: string[] = [];
  const dns: string[] = [];
  for (const entry of (cert.subjectAltName ?? '').split(', ')) {
    if (entry.startsWith('IP Address:')) ips.push(entry.slice('IP Address:'.length));
    else if (entry.startsWith('DNS:')) dns.push(entry.slice('DNS:'.length));
  }
  return { ips, dns };
}

const resolver = new Resolver({ timeout: 1000, tries: 1 });

/** Why a peer connecting from `remote` may not use `certDer`, or undefined when it may. */
export async function clientSanMismatch(certDer: Buffer, remote: string): Promise<string | undefined> {
  const cert = new X509Certificate(certDer);
  const { ips, dns } = namesOf(cert);
  if (ips.length === 0 && dns.length === 0) return undefined;
  // An IPv4 client on a dual-stack listener shows as ::ffff:a.b.c.d; Go sees a.b.c.d.
  const host = remote.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
  if (ips.length > 0) {
    if (cert.checkIP(host)) return undefined;
    if (dns.length === 0) return `x509: certificate is valid for ${ips.join(', ')}, not ${host}`;
  }
  const names = dns.filter((d) => !d.startsWith('*.'));
  const wildcards = dns.filter((d) => d.startsWith('*.')).map((d) => d.slice(1));
  for (const name of names) {
    const addrs = await lookup(name, { all: true }).catch(() => []);
    if (addrs.some((a) => a.address === host)) return undefined;
  }
  const reverse = await resolver.reverse(host).catch(() => [] as string[]);
  for (const r of reverse.map((n) => n.replace(/\.$/, ''))) {
    if (names.includes(r) || wildcards.some((w) => r.endsWith(w))) return undefined;
  }
  return `tls: ${JSON.stringify(host)} does not match any of DNSNames [${names.map((n) => JSON.stringify(n)).join(' ')}]`;
}
