// Errors carry etcd's exact texts: clients match on them (the server maps them to gRPC codes).

export class ErrCompacted extends Error {
  constructor(readonly compactRevision = 0) {
    super('mvcc: required revision has been compacted');
    this.name = 'ErrCompacted';
  }
}

export class ErrFutureRev extends Error {
  constructor() {
    super('mvcc: required revision is a future revision');
    this.name = 'ErrFutureRev';
  }
}

export class ErrClosed extends Error {
  constructor() {
    super('mvcc: closed');
    this.name = 'ErrClosed';
  }
}

/** A put with ignore_value/ignore_lease on a key that does not exist (etcd's apply layer error). */
export class ErrKeyNotFound extends Error {
  constructor() {
    super('etcdserver: key not found');
    this.name = 'ErrKeyNotFound';
  }
}

/** A txn whose chosen branch writes the same key twice (checked before anything is applied). */
export class ErrDuplicateKey extends Error {
  constructor() {
    super('etcdserver: duplicate key given in txn request');
    this.name = 'ErrDuplicateKey';
  }
}
