// Entry of the start-up snapshot (scripts/bundle.mjs builds dist/etcdctl.blob from its bundle with
// `node --build-snapshot`; bin/etcdctl starts node from it when it was built by the same node). At
// build time this evaluates the CLI's modules and what get/put/del run (their commands, the lean
// HTTP/2 exchange, node:net, HPACK's Huffman tree, the printers scripts use), so that a start
// deserialises them instead of reading, compiling and running them. Nothing here may read the
// environment, the terminal or the clock: that is done by the function run at start.
import { resolve } from 'node:path';
import { startupSnapshot } from 'node:v8';
import { HpackDecoder } from '@kv/api-proto/hpack';
import { setBundleDir } from './code-cache';
import { commands } from './commands';
import { findCommand } from './find-command';
import { resolveGlobals } from './global-flags';
import { hotFlags } from './hot-flags';
import * as wire from './kv-wire';
import { runCli } from './main';
import { parse } from './pflag';
import { setUpProcess } from './process-setup';

for (const id of ['get', 'put', 'del']) commands[id]!();
// the Buffer calls of an exchange. Nothing with node's state: no socket (destroying one creates
// process.stderr, which must not exist before the process that uses it starts), no timer (the
// snapshot keeps node's timer list as the build left it: timers then never fire, and a command that
// waits on one prints nothing).
require('node:net');
const b = Buffer.allocUnsafe(9);
b.writeUIntBE(0, 0, 3);
b.writeUInt32BE(0, 5);
Buffer.concat([b.subarray(0, 4), Buffer.from('x', 'latin1')]).readUIntBE(0, 3);
b.readUInt32BE(5);
require('./lean-conn');
require('./h2c-unary');
require('./printer-simple');
require('./printer-json');
require('./printer-fields');
// the first Huffman-coded header decoded builds the decoding tree: `:status: 200` and
// `content-type: application/grpc` as etcd sends them
new HpackDecoder().decode(Buffer.from('885f8b1d75d0620d263d4c4d6564', 'hex'));
// The snapshot keeps the bytecode of the functions that ran while it was built (the others compile
// on first call at each start): a command line parsed (no environment), requests encoded, an answer
// decoded.
const found = findCommand(['--endpoints=127.0.0.1:2379', 'get', 'foo', '-w', 'json']);
if (!('error' in found)) {
  const parsed = parse(found.rest, { ...hotFlags.globals, ...hotFlags.commands[found.id] });
  resolveGlobals(parsed.flags, parsed.given, {});
}
const key = Buffer.from('foo');
wire.encodeRange({ key, rangeEnd: key, limit: 1n, revision: 1n, serializable: true });
wire.encodePut({ key, value: key, lease: 1n, prevKv: true });
wire.encodeDeleteRange({ key, rangeEnd: key, prevKv: true });
// a RangeResponse: header {1, 2, 3, 4}, kvs [{foo, 2, 2, 1, bar}], count 1
wire.decode(
  wire.RangeResponse,
  Buffer.from('0a0808011002180320041210' + '0a03666f6f100218022001' + '2a036261722001', 'hex'),
);

startupSnapshot.setDeserializeMainFunction(() => {
  // bin/etcdctl runs `node --snapshot-blob <dist>/etcdctl.blob -- <dist> <etcdctl's arguments>`
  setBundleDir(resolve(process.argv[1]!));
  setUpProcess('snapshot');
  runCli(process.argv.slice(2));
});
