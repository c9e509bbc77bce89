import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_QUOTA_BACKEND_BYTES } from '../config/config.js';
import { fits, LEASE_OVERHEAD, putCost, quotaBytes, txnCost } from './quota.js';

test("costs and the quota follow etcd 3.4's quota.go", () => {
  const put = { key: Buffer.from('abc'), value: Buffer.alloc(100) };
  assert.equal(putCost(put), 256 + 3 + 100);
  assert.equal(
    txnCost({
      success: [{ requestPut: put }, { requestDeleteRange: { key: Buffer.from('a') } }],
      failure: [{ requestPut: put }, { requestPut: put }],
    }),
    2 * (256 + 103),
  );
  // deletes and nested txns cost nothing, so they pass a full quota
  assert.equal(txnCost({ success: [{ requestTxn: { success: [{ requestPut: put }] } }] }), 0);
  assert.equal(fits(10_000, 0, 100), true);
  assert.equal(fits(1000 - LEASE_OVERHEAD - 1, LEASE_OVERHEAD, 1000), true);
  assert.equal(fits(1000 - LEASE_OVERHEAD, LEASE_OVERHEAD, 1000), false);
  assert.equal(quotaBytes(0), DEFAULT_QUOTA_BACKEND_BYTES);
  assert.equal(quotaBytes(-1), Number.POSITIVE_INFINITY);
  assert.equal(quotaBytes(4096), 4096);
});
