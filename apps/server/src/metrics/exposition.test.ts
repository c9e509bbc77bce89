import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as prom from 'prom-client';
import { bucketBounds, labelNames, parseExposition, sampleSum } from './exposition';

test('reads prom-client output back: types, help, labels, histogram parts and bucket bounds', async () => {
  const r = new prom.Registry();
  const c = new prom.Counter({
    name: 'a_total',
    help: 'A "quoted" help.',
    labelNames: ['x'],
    registers: [r],
  });
  c.inc({ x: 'one' }, 2);
  c.inc({ x: 'tw"o' }, 3);
  const h = new prom.Histogram({
    name: 'h_seconds',
    help: 'H.',
    buckets: [0.001, 1.048576e6],
    registers: [r],
  });
  h.observe(0.5);
  new prom.Gauge({ name: 'g', help: 'G.', registers: [r] }).set(-1);
  const m = parseExposition(await r.metrics());
  assert.deepEqual([...m.keys()], ['a_total', 'h_seconds', 'g']);
  assert.equal(m.get('a_total')!.type, 'counter');
  assert.equal(m.get('a_total')!.help, 'A "quoted" help.');
  assert.deepEqual(labelNames(m.get('a_total')!), ['x']);
  assert.equal(sampleSum(m.get('a_total'), 'a_total', { x: 'tw"o' }), 3);
  assert.equal(sampleSum(m.get('a_total'), 'a_total'), 5);
  const hist = m.get('h_seconds')!;
  assert.equal(hist.type, 'histogram');
  assert.deepEqual(bucketBounds(hist), [0.001, 1048576, Number.POSITIVE_INFINITY]);
  assert.equal(sampleSum(hist, 'h_seconds_count'), 1);
  assert.deepEqual(labelNames(hist), []);
  assert.equal(sampleSum(m.get('g'), 'g'), -1);
});

test("reads etcd's number forms", () => {
  const m = parseExposition(
    '# HELP q Q.\n# TYPE q gauge\nq 2.147483648e+09\n# TYPE b histogram\nb_bucket{le="8.388608e+06"} 1\nb_bucket{le="+Inf"} 1\n',
  );
  assert.equal(sampleSum(m.get('q'), 'q'), 2147483648);
  assert.deepEqual(bucketBounds(m.get('b')!), [8388608, Number.POSITIVE_INFINITY]);
});
