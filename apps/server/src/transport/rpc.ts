// Requests forwarded between members on the peer stream (etcd forwards lease keep-alives and TTL queries
// to the leader over its peer HTTP API): a call id, the method name, and opaque bytes each way.
export type RpcResult =
  | { body: Uint8Array; error?: undefined }
  | { error: { code: number; message: string } };

export function encodeRpcRequest(id: number, method: string, body: Uint8Array): Buffer {
  const name = Buffer.from(method, 'utf8');
  const head = Buffer.alloc(5);
  head.writeUInt32LE(id, 0);
  head.writeUInt8(name.length, 4);
  return Buffer.concat([head, name, body]);
}

export function decodeRpcRequest(b: Buffer): { id: number; method: string; body: Buffer } {
  const id = b.readUInt32LE(0);
  const n = b.readUInt8(4);
  return { id, method: b.subarray(5, 5 + n).toString('utf8'), body: b.subarray(5 + n) };
}

export function encodeRpcResponse(id: number, r: RpcResult): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32LE(id, 0);
  if (r.error) {
    head.writeUInt8(1, 4);
    return Buffer.concat([head, Buffer.from(JSON.stringify(r.error), 'utf8')]);
  }
  return Buffer.concat([head, r.body]);
}

export function decodeRpcResponse(b: Buffer): { id: number; result: RpcResult } {
  const id = b.readUInt32LE(0);
  const body = b.subarray(5);
  if (b.readUInt8(4) === 1) return { id, result: { error: JSON.parse(body.toString('utf8')) } };
  return { id, result: { body: Buffer.from(body) } };
}
