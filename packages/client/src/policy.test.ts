// Pure parts of the client: endpoint choice, backoff, error classification, key ranges, txn data.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { backoffDelay } from './backoff';
import { EndpointPool, endpointAddress } from './endpoint-pool';
import {
  CompactedError,
  InvalidAuthTokenError,
  isNotExecuted,
  isTransient,
  LeaderChangedError,
  NoLeaderError,
  toEtcdError,
  UnavailableError,
} from './errors';
import { keyRange } from './key-range';
import { Compare, isReadOnlyTxn, Op, Txn } from './txn';

describe('endpoint pool', () => {
  test('strips schemes and detects TLS', () => {
    assert.deepEqual(endpointAddress('http://127.0.0.1:2379'), { address: '127.0.0.1:2379', secure: false });
    assert.deepEqual(endpointAddress('https://h:1/'), { address: 'h:1', secure: true });
    assert.deepEqual(endpointAddress('h:2'), { address: 'h:2', secure: false });
  });

  test('rotates, skips failed endpoints, and avoids the last one tried', () => {
    const pool = new EndpointPool(['a:1', 'b:1', 'c:1']);
    const seen = new Set(Array.from({ length: 3 }, () => pool.pick()));
    assert.equal(seen.size, 3);
    pool.reportFailure(1);
    for (let i = 0; i < 6; i++) assert.notEqual(pool.pick(), 1);
    for (let i = 0; i < 6; i++) assert.notEqual(pool.pick(0), 0);
    pool.reportFailure(0);
    pool.reportFailure(2);
    // Everything is cooling down: still returns an endpoint (the one that recovers first).
    assert.ok([0, 1, 2].includes(pool.pick()));
    pool.reportSuccess(1);
    assert.equal(pool.pick(), 1);
    pool.close();
  });
});

test('setEndpoints adds new endpoints and retires missing ones without renumbering', () => {
  const pool = new EndpointPool(['http://a:1', 'http://b:1']);
  pool.setEndpoints(['http://b:1', 'c:1']);
  assert.deepEqual(pool.endpoints, ['http://a:1', 'http://b:1', 'http://c:1']);
  assert.deepEqual(pool.active(), ['http://b:1', 'http://c:1']);
  for (let i = 0; i < 6; i++) assert.notEqual(pool.pick(), 0);
  pool.setEndpoints([]);
  assert.deepEqual(pool.active(), ['http://b:1', 'http://c:1']);
  pool.close();
});

describe('retry policy', () => {
  test('backoff grows, is jittered and capped', () => {
    for (let a = 0; a < 30; a++) {
      const d = backoffDelay(a, { initialMs: 10, maxMs: 500 });
      const ceiling = Math.min(500, 10 * 2 ** a);
      assert.ok(d >= ceiling / 2 && d <= ceiling, `${a}: ${d}`);
    }
  });

  test('errors map to types by etcd text and gRPC code', () => {
    assert.ok(
      toEtcdError({ code: status.UNAVAILABLE, details: 'etcdserver: no leader' }) instanceof NoLeaderError,
    );
    assert.ok(
      toEtcdError({ code: status.UNAVAILABLE, details: 'etcdserver: leader changed' }) instanceof
        LeaderChangedError,
    );
    assert.ok(
      toEtcdError({ code: status.UNAUTHENTICATED, details: 'etcdserver: invalid auth token' }) instanceof
        InvalidAuthTokenError,
    );
    const c = toEtcdError({
      code: status.OUT_OF_RANGE,
      details: 'etcdserver: mvcc: required revision has been compacted',
    });
    assert.ok(c instanceof CompactedError);
    assert.ok(toEtcdError({ code: status.UNAVAILABLE, details: 'x' }) instanceof UnavailableError);
  });

  test('only certainly-unexecuted failures are safe to repeat for writes', () => {
    const e = (details: string, code = status.UNAVAILABLE) => toEtcdError({ code, details }) as Error;
    assert.equal(isNotExecuted(e('etcdserver: no leader')), true);
    assert.equal(
      isNotExecuted(e('No connection established. Last error: connect ECONNREFUSED 127.0.0.1:1')),
      true,
    );
    assert.equal(isNotExecuted(e('etcdserver: request timed out')), false);
    assert.equal(isNotExecuted(e('Connection dropped')), false);
    assert.equal(isNotExecuted(e('etcdserver: leader changed')), false);
    assert.equal(isTransient(e('etcdserver: request timed out')), true);
    assert.equal(isTransient(e('etcdserver: leader changed')), true);
    assert.equal(isTransient(e('etcdserver: permission denied', status.PERMISSION_DENIED)), false);
  });
});

describe('key ranges and txn data', () => {
  test('keyRange resolves selectors', () => {
    assert.deepEqual(keyRange('a'), { key: Buffer.from('a'), rangeEnd: Buffer.alloc(0) });
    assert.deepEqual(keyRange('a', { prefix: true }), { key: Buffer.from('a'), rangeEnd: Buffer.from('b') });
    assert.deepEqual(keyRange('', { prefix: true }), { key: Buffer.from([0]), rangeEnd: Buffer.from([0]) });
    assert.deepEqual(keyRange('a', { fromKey: true }), { key: Buffer.from('a'), rangeEnd: Buffer.from([0]) });
    assert.throws(() => keyRange('a', { prefix: true, fromKey: true }), TypeError);
  });

  test('the builder records a spec; awaiting a builder commits it', async () => {
    let committed = 0;
    const t = new Txn(async () => {
      committed++;
      return {
        header: { clusterId: 0n, memberId: 0n, revision: 1, raftTerm: 1 },
        succeeded: true,
        responses: [],
      };
    });
    t.if(Compare.version('k', '>', 0))
      .then(Op.get('k'))
      .else(Op.put('k', 'v'));
    assert.equal(t.spec().compare.length, 1);
    assert.equal(isReadOnlyTxn(t.spec()), false);
    assert.equal(isReadOnlyTxn({ compare: [], success: [Op.get('a')], failure: [] }), true);
    const res = await (t as unknown as PromiseLike<{ succeeded: boolean }>);
    assert.equal(res.succeeded, true);
    assert.equal(committed, 1);
  });
});
