export { fetchClusterInfo } from './connect.js';
export type { SnapshotFile } from './snapshot-stream.js';
export { Transport, type TransportHandlers, type TransportOptions } from './transport.js';
