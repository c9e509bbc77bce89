// Every etcd service the client port serves, as one handler table.
import type { EtcdServerApi } from '../server-api';
import { addAuth } from './auth';
import { addCluster } from './cluster';
import { addElection } from './election';
import type { HandlerTable } from './handlers';
import { addKv } from './kv';
import { addLease } from './lease';
import { addLock } from './lock';
import { addMaintenance } from './maintenance';
import { addWatch } from './watch';

export interface ServiceOptions {
  /** --max-request-bytes (etcd default 1.5 MiB). */
  maxRequestBytes: number;
  /** --max-txn-ops (etcd default 128). */
  maxTxnOps: number;
}

export function etcdServices(server: EtcdServerApi, opts: ServiceOptions): HandlerTable {
  const table: HandlerTable = new Map();
  addKv(table, server, opts);
  addWatch(table, server, { maxResponseBytes: opts.maxRequestBytes });
  addLease(table, server);
  addCluster(table, server);
  addMaintenance(table, server);
  addAuth(table, server);
  addLock(table, server);
  addElection(table, server);
  return table;
}
