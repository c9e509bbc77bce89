import assert from 'node:assert/strict';
import { test } from 'node:test';
import { goDuration, goQuote, humanizeBytes, parseGoDuration } from './go-format';
import { renderTable } from './table-writer';

test('humanizeBytes matches go-humanize, including Go rounding of halves', () => {
  assert.equal(humanizeBytes(0), '0 B');
  assert.equal(humanizeBytes(9), '9 B');
  assert.equal(humanizeBytes(20480), '20 kB');
  assert.equal(humanizeBytes(24576), '25 kB');
  assert.equal(humanizeBytes(28672), '29 kB');
  assert.equal(humanizeBytes(4100000), '4.1 MB');
});

test('goQuote escapes as strconv.Quote', () => {
  assert.equal(goQuote('foo'), '"foo"');
  assert.equal(goQuote('a"b\\c\n\t'), '"a\\"b\\\\c\\n\\t"');
  assert.equal(goQuote(Buffer.from([0xff, 0x01])), '"\\xff\\x01"');
  assert.equal(goQuote('é'), '"é"');
});

test('durations parse and print as Go does', () => {
  assert.equal(parseGoDuration('5s'), 5000);
  assert.equal(parseGoDuration('1m30s'), 90000);
  assert.equal(parseGoDuration('300ms'), 300);
  assert.ok(Number.isNaN(parseGoDuration('bogus')));
  assert.equal(goDuration(1.5), '1.5ms');
  assert.equal(goDuration(2500), '2.5s');
});

test('tables are laid out as etcdctl (tablewriter) lays them out', () => {
  assert.equal(
    renderTable(['hash', 'total size'], [['c50cf3d4', '29 kB']]),
    '+----------+------------+\n|   HASH   | TOTAL SIZE |\n+----------+------------+\n| c50cf3d4 |      29 kB |\n+----------+------------+\n',
  );
});
