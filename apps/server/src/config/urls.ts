// URL lists as etcd's flags accept them: comma separated, scheme http/https/unix/unixs, host:port.
export function parseUrlList(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(',')) {
    const s = raw.trim();
    out.push(checkUrl(s));
  }
  return out;
}

export function checkUrl(s: string): string {
  const m = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(s);
  if (!m || !['http', 'https', 'unix', 'unixs'].includes(m[1]!.toLowerCase())) {
    throw new Error(`URL scheme must be http, https, unix, or unixs: ${s}`);
  }
  const rest = m[2]!;
  const hostPort = rest.split('/')[0]!;
  const pm = /:([^:\]]*)$/.exec(hostPort);
  if (pm && !/^\d*$/.test(pm[1]!)) throw new Error(`parse "${s}": invalid port ":${pm[1]}" after host`);
  if (m[1] === 'http' || m[1] === 'https') {
    if (rest.length > hostPort.length && rest !== hostPort + '/') {
      throw new Error(`URL must not contain a path: ${s}`);
    }
  }
  return s;
}

export interface HostPort {
  host: string;
  port: number;
}

/** Where to listen or dial for an http(s) URL; `localhost` and an empty host mean all of the loopback. */
export function hostPortOf(url: string): HostPort {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
  return { host, port };
}
