/** The etcd version this server reports: the API level it implements (etcd 3.5's wire protocol). */
export const SERVER_VERSION = '3.5.0';
export const CLUSTER_VERSION = '3.5.0';
