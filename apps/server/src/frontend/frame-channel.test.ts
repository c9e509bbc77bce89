import assert from 'node:assert/strict';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { it } from 'node:test';
import { FrameChannel } from './frame-channel';

it('FrameChannel carries small batched frames and multi-megabyte frames over a unix socket', async () => {
  const sock = path.join(os.tmpdir(), `kv-frame-${process.pid}.sock`);
  const got: Buffer[] = [];
  let done!: () => void;
  const all = new Promise<void>((r) => (done = r));
  const server = net.createServer((s) => {
    new FrameChannel(s, (body) => {
      got.push(Buffer.from(body));
      if (got.length === 102) done();
    });
  });
  await new Promise<void>((r) => server.listen(sock, r));
  const client = net.connect(sock);
  await new Promise((r) => client.once('connect', r));
  const ch = new FrameChannel(client, () => {});
  for (let i = 0; i < 100; i++) ch.send(Buffer.from(`frame ${i}`));
  ch.send(Buffer.alloc(5 * 1024 * 1024, 7));
  ch.send(Buffer.alloc(0));
  await all;
  assert.equal(got[0]!.toString(), 'frame 0');
  assert.equal(got[99]!.toString(), 'frame 99');
  assert.equal(got[100]!.length, 5 * 1024 * 1024);
  assert.ok(got[100]!.every((x) => x === 7));
  assert.equal(got[101]!.length, 0);
  client.destroy();
  await new Promise((r) => server.close(r));
});
