import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  GatewayError,
  gatewayErrorJson,
  gatewayResponseJson,
  gatewayStreamChunk,
  gatewayStreamErrorChunk,
  httpStatusFromGrpcCode,
  parseGatewayRequest,
} from './gateway.js';
import { etcd34Exchanges } from './gateway.test-fixtures.js';
import { gatewayRoutes } from './gateway-routes.js';
import { etcdErrorName, etcdErrors, KV, Lease, toBigInt, toNumber, Watch } from './index.js';
import { messageFromJson, messageToJson } from './json-mapping.js';

const errorOf = (response: string) =>
  JSON.parse(response) as { error: string; message: string; code: number };

test('every recorded etcd 3.4 request parses, and every recorded response re-encodes byte for byte', () => {
  let checked = 0;
  for (const ex of etcd34Exchanges) {
    if (ex.status !== 200) continue;
    const call = parseGatewayRequest('POST', ex.path, ex.body);
    assert.equal(call.requests.length, 1, ex.path);
    if (call.method.responseStream) {
      const lines = ex.response.split('\n').filter((l) => l.length > 0);
      let again = '';
      for (const line of lines) {
        const inner = line.slice('{"result":'.length, -1);
        again += gatewayStreamChunk(call.method, messageFromJson(call.method.responseType, inner));
      }
      assert.equal(again, ex.response, `${ex.path} ${ex.body}`);
    } else {
      const res = messageFromJson(call.method.responseType, ex.response);
      assert.equal(gatewayResponseJson(call.method, res), ex.response, `${ex.path} ${ex.body}`);
    }
    checked++;
  }
  assert.ok(checked >= 20, `checked ${checked}`);
});

test('recorded etcd 3.4 errors: request decoding errors match exactly, server errors format the same', () => {
  let decodeErrors = 0;
  for (const ex of etcd34Exchanges) {
    if (ex.status === 200) continue;
    const { message, code } = errorOf(ex.response);
    if (message.startsWith('etcdserver:')) {
      // The recorded server errors are in our table of etcd errors with the same status code.
      const known = etcdErrors[etcdErrorName(message)!];
      assert.equal(known?.code, code, message);
      assert.equal(gatewayErrorJson(code, message), ex.response);
      assert.equal(httpStatusFromGrpcCode(code), ex.status);
      continue;
    }
    assert.throws(
      () => parseGatewayRequest('POST', ex.path, ex.body),
      (e: unknown) => {
        assert.ok(e instanceof GatewayError, String(e));
        assert.equal(e.body, ex.response, ex.body);
        assert.equal(e.status, ex.status, ex.body);
        assert.equal(e.contentType, 'application/json');
        return true;
      },
    );
    decodeErrors++;
  }
  assert.ok(decodeErrors >= 6);
});

test('put/range requests accept original and lowerCamel names; 64-bit values stay exact', () => {
  const a = parseGatewayRequest(
    'POST',
    '/v3/kv/put',
    '{"key":"Zm9v","value":"YmFy","prev_kv":true,"lease":"7587852393425016334"}',
  );
  const b = parseGatewayRequest(
    'POST',
    '/v3/kv/put',
    '{"key":"Zm9v","value":"YmFy","prevKv":true,"lease":7587852393425016334}',
  );
  assert.deepEqual(KV.Put.serializeRequest(a.requests[0]), KV.Put.serializeRequest(b.requests[0]));
  const put = a.requests[0] as ReturnType<typeof KV.Put.deserializeRequest>;
  assert.equal(Buffer.from(put.key).toString(), 'foo');
  assert.equal(put.prevKv, true);
  assert.equal(toBigInt(put.lease), 7587852393425016334n);
  const r = parseGatewayRequest(
    'POST',
    '/v3/kv/range',
    '{"key":"AA==","rangeEnd":"AA==","sort_order":2,"sortTarget":"MOD","limit":"10"}',
  );
  const range = r.requests[0] as ReturnType<typeof KV.Range.deserializeRequest>;
  assert.deepEqual(Buffer.from(range.rangeEnd), Buffer.from([0]));
  assert.equal(range.sortOrder, 2);
  assert.equal(range.sortTarget, 3);
  assert.equal(toNumber(range.limit), 10);
  // Round trip: message -> JSON (original names) -> message gives the same wire bytes.
  const json = messageToJson(KV.Range.requestType, range);
  assert.equal(
    json,
    '{"key":"AA==","range_end":"AA==","limit":"10","sort_order":"DESCEND","sort_target":"MOD"}',
  );
  assert.deepEqual(
    KV.Range.serializeRequest(messageFromJson(KV.Range.requestType, json)),
    KV.Range.serializeRequest(range),
  );
});

test('uint64 IDs above 2^63 and negative int64 lease IDs print as etcd prints them', () => {
  const json = gatewayResponseJson(Lease.LeaseGrant, {
    header: { clusterId: 0xfedcba9876543210n as any, revision: 5 },
    ID: -5,
    TTL: 30,
  });
  assert.equal(json, '{"header":{"cluster_id":"18364758544493064720","revision":"5"},"ID":"-5","TTL":"30"}');
  const back = messageFromJson(Lease.LeaseGrant.responseType, json);
  assert.equal(toBigInt(back.header!.clusterId!), 0xfedcba9876543210n);
  assert.throws(
    () => parseGatewayRequest('POST', '/v3/lease/grant', '{"ID":"18446744073709551615"}'),
    /cannot unmarshal number 18446744073709551615 into Go value of type int64/,
  );
});

test('txn: nested oneofs, zero-valued compare targets and enums round-trip', () => {
  const body =
    '{"compare":[{"result":"EQUAL","target":"CREATE","key":"Zm9v","create_revision":"0"}],"success":[{"request_put":{"key":"Zm9v","value":"YmFy"}}],"failure":[{"requestRange":{"key":"Zm9v"}}]}';
  const txn = parseGatewayRequest('POST', '/v3/kv/txn', body).requests[0] as ReturnType<
    typeof KV.Txn.deserializeRequest
  >;
  const decoded = KV.Txn.deserializeRequest(KV.Txn.serializeRequest(txn));
  assert.equal(decoded.compare[0]!.targetUnion, 'createRevision');
  assert.equal(
    messageToJson(KV.Txn.requestType, decoded),
    '{"compare":[{"target":"CREATE","key":"Zm9v","create_revision":"0"}],"success":[{"request_put":{"key":"Zm9v","value":"YmFy"}}],"failure":[{"request_range":{"key":"Zm9v"}}]}',
  );
});

test('watch and keepalive bodies may hold several requests; their decode errors use code 2', () => {
  const call = parseGatewayRequest(
    'POST',
    '/v3/watch',
    '{"create_request":{"key":"YQ==","filters":["NOPUT","NODELETE"]}} {"cancelRequest":{"watch_id":"3"}}',
  );
  assert.equal(call.method, Watch.Watch);
  assert.equal(call.requests.length, 2);
  const [create, cancel] = call.requests as ReturnType<typeof Watch.Watch.deserializeRequest>[];
  assert.deepEqual(create!.createRequest!.filters, [0, 1]);
  assert.equal(toNumber(cancel!.cancelRequest!.watchId), 3);
  assert.throws(
    () => parseGatewayRequest('POST', '/v3/lease/keepalive', '{"ID":"x"}'),
    (e: unknown) => e instanceof GatewayError && e.code === 2 && e.status === 500,
  );
});

test('invalid JSON and wrong JSON types give Go-style errors with code 3', () => {
  const cases: [string, string, string?][] = [
    ['{bad json', "invalid character 'b' looking for beginning of object key string"],
    ['{"key":"Zm9v",}', "invalid character '}' looking for beginning of object key string"],
    ['{"key" "Zm9v"}', `invalid character '"' after object key`],
    ['{"key":"Zm9v" "x":1}', `invalid character '"' after object key:value pair`],
    ['{"key":tru}', "invalid character '}' in literal true (expecting 'e')"],
    ['{"key":-}', "invalid character '}' in numeric literal"],
    ['{"key":', 'unexpected EOF'],
    ['[1 2]', "invalid character '2' after array element"],
    ['{"key":"a\\q"}', "invalid character 'q' in string escape code"],
    ['{"key":"a\\u00zz"}', "invalid character 'z' in \\u hexadecimal character escape"],
    // Checked against etcd 3.4.23: wrong JSON types and quoted integers fail as Go's json package does.
    ['{"key":"Zm9v","limit":"12 3"}', "invalid character '3' after top-level value"],
    ['{"key":"Zm9v","limit":""}', 'unexpected end of JSON input'],
    ['{"key":"Zm9v","limit":true}', 'json: cannot unmarshal bool into Go value of type int64'],
    ['{"key":"Zm9v","limit":{}}', 'json: cannot unmarshal object into Go value of type int64'],
    ['{"key":5}', 'json: cannot unmarshal number into Go value of type []uint8'],
    ['{"key":[300]}', 'json: cannot unmarshal number 300 into Go value of type uint8'],
    ['"str"', 'json: cannot unmarshal string into Go value of type map[string]json.RawMessage'],
    ['{"compare":{}}', 'json: cannot unmarshal object into Go value of type []json.RawMessage', '/v3/kv/txn'],
    // jsonpb reports the first bad field in declaration order, oneof members last.
    ['{"limit":true,"key":5}', 'json: cannot unmarshal number into Go value of type []uint8'],
    [
      '{"compare":[{"key":"YQ==","target":"VALUE","value":"!!","range_end":5}]}',
      'json: cannot unmarshal number into Go value of type []uint8',
      '/v3/kv/txn',
    ],
  ];
  for (const [body, message, path] of cases) {
    assert.throws(
      () => parseGatewayRequest('POST', path ?? '/v3/kv/range', body),
      (e: unknown) => {
        assert.ok(e instanceof GatewayError);
        assert.equal(e.code, 3);
        assert.equal(e.status, 400);
        assert.deepEqual(JSON.parse(e.body), { error: message, message, code: 3 });
        return true;
      },
      body,
    );
  }
});

test('invalid base64 names the offending byte like Go', () => {
  const cases: [string, number][] = [
    ['!!!', 0],
    ['Zm9', 0],
    ['Zm9vYg', 4],
    ['Zm9v_-', 4],
    ['Zg=', 3],
    ['Zg==Zg==', 4],
    ['=', 0],
  ];
  for (const [b64, at] of cases) {
    assert.throws(
      () => parseGatewayRequest('POST', '/v3/kv/put', JSON.stringify({ key: b64 })),
      (e: unknown) => e instanceof GatewayError && e.message === `illegal base64 data at input byte ${at}`,
      b64,
    );
  }
  const ok = parseGatewayRequest('POST', '/v3/kv/put', '{"key":"Zm9v\\nYmFy","value":"Zg=="}')
    .requests[0] as any;
  assert.equal(Buffer.from(ok.key).toString(), 'foobar');
  assert.equal(Buffer.from(ok.value).toString(), 'f');
});

test('stream errors end the stream in grpc-gateway v1 StreamError shape', () => {
  assert.equal(
    gatewayStreamErrorChunk(11, 'etcdserver: mvcc: required revision has been compacted'),
    '{"error":{"grpc_code":11,"http_code":400,"message":"etcdserver: mvcc: required revision has been compacted","http_status":"Bad Request"}}',
  );
  assert.equal(
    gatewayStreamErrorChunk(14, 'etcdserver: no leader'),
    '{"error":{"grpc_code":14,"http_code":503,"message":"etcdserver: no leader","http_status":"Service Unavailable"}}',
  );
});

test('unknown paths answer 404, other HTTP methods 405, as plain text', () => {
  assert.throws(
    () => parseGatewayRequest('POST', '/v3/kv/nope', '{}'),
    (e: unknown) => e instanceof GatewayError && e.status === 404 && e.body === 'Not Found\n',
  );
  assert.throws(
    () => parseGatewayRequest('GET', '/v3/kv/range', ''),
    (e: unknown) => e instanceof GatewayError && e.status === 405 && e.body === 'Method Not Allowed\n',
  );
  const empty = parseGatewayRequest('POST', '/v3/maintenance/status?x=1', '');
  assert.equal(empty.requests.length, 1);
});

test('every gateway path family maps to its RPC and round-trips a request', () => {
  const expected: Record<string, string> = {
    '/v3/kv/compaction': '/etcdserverpb.KV/Compact',
    '/v3/kv/lease/revoke': '/etcdserverpb.Lease/LeaseRevoke',
    '/v3/kv/lease/timetolive': '/etcdserverpb.Lease/LeaseTimeToLive',
    '/v3/kv/lease/leases': '/etcdserverpb.Lease/LeaseLeases',
    '/v3/cluster/member/promote': '/etcdserverpb.Cluster/MemberPromote',
    '/v3/maintenance/transfer-leadership': '/etcdserverpb.Maintenance/MoveLeader',
    '/v3/maintenance/snapshot': '/etcdserverpb.Maintenance/Snapshot',
    '/v3/auth/user/changepw': '/etcdserverpb.Auth/UserChangePassword',
    '/v3/auth/role/grant': '/etcdserverpb.Auth/RoleGrantPermission',
    '/v3/lock/unlock': '/v3lockpb.Lock/Unlock',
    '/v3/election/observe': '/v3electionpb.Election/Observe',
  };
  for (const [path, rpc] of Object.entries(expected)) assert.equal(gatewayRoutes.get(path)?.path, rpc, path);
  const bodies: Record<string, string> = {
    '/v3/cluster/member/add': '{"peerURLs":["http://127.0.0.1:1"],"isLearner":true}',
    '/v3/cluster/member/remove': '{"ID":"18446744073709551615"}',
    '/v3/maintenance/alarm': '{"action":"ACTIVATE","memberID":"9","alarm":"NOSPACE"}',
    '/v3/auth/user/add': '{"name":"u","password":"p","options":{"no_password":true}}',
    '/v3/auth/role/grant': '{"name":"r","perm":{"permType":"READWRITE","key":"YQ==","range_end":"Yg=="}}',
    '/v3/lock/lock': '{"name":"bA==","lease":"-7"}',
    '/v3/election/proclaim': '{"leader":{"name":"ZQ==","key":"ZS8x","rev":"3","lease":"12"},"value":"dg=="}',
  };
  for (const [path, body] of Object.entries(bodies)) {
    const call = parseGatewayRequest('POST', path, body);
    const json = messageToJson(call.method.requestType, call.requests[0]);
    assert.equal(json, body, path);
  }
  assert.equal(gatewayRoutes.size, 51);
});
