// Start-up shim: runs the bundled CLI with V8's code cache (code-cache.ts). The connection code
// (@kv/client, grpc-js, api-proto) is a second bundle that loads only when a command needs it.
// bin/etcdctl starts the CLI from the start-up snapshot instead when the build made one for this
// node (snapshot-entry.ts); this is the way without it.
import { join } from 'node:path';
import { loadCached } from './code-cache';
import { setUpProcess } from './process-setup';

setUpProcess('launcher');
loadCached(join(__dirname, 'etcdctl.bundle.js'));
