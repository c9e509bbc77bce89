// What the global flags decide about the connection.
export interface TlsOptions {
  ca?: string;
  cert?: string;
  key?: string;
  skipVerify: boolean;
  serverName?: string;
}

export interface ConnOptions {
  endpoints: string[];
  dialTimeoutMs: number;
  commandTimeoutMs: number;
  keepAliveTimeMs: number;
  keepAliveTimeoutMs: number;
  /** undefined: plain text (etcdctl's --insecure-transport default) */
  tls?: TlsOptions;
  user?: string;
  password?: string;
}

export type Service = 'KV' | 'Watch' | 'Lease' | 'Cluster' | 'Maintenance' | 'Auth';

