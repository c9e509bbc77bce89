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

/** How one RPC's messages cross the wire. */
export interface MethodCodec {
  path: string;
  serialize(req: unknown): Buffer;
  deserialize(buf: Buffer): unknown;
}

export interface Codec {
  method(service: Service, name: string): MethodCodec;
}
