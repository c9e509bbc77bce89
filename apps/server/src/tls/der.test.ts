import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bitString, oid, sequence, time, tlv, unsignedInteger } from './der.js';

const hex = (b: Buffer) => b.toString('hex');

test('OIDs encode the first two arcs together and the rest in base 128', () => {
  assert.equal(hex(oid('1.2.840.10045.4.3.2')), '06082a8648ce3d040302');
  assert.equal(hex(oid('2.5.29.17')), '0603551d11');
});

test('integers are minimal and stay positive', () => {
  assert.equal(hex(unsignedInteger(Buffer.from([0, 0, 0x7f]))), '02017f');
  assert.equal(hex(unsignedInteger(Buffer.from([0x80]))), '02020080');
  assert.equal(hex(unsignedInteger(Buffer.from([0, 0]))), '020100');
});

test('lengths of 128 bytes and more take the long form', () => {
  assert.equal(hex(tlv(0x04, Buffer.alloc(127))).slice(0, 4), '047f');
  assert.equal(hex(tlv(0x04, Buffer.alloc(128))).slice(0, 6), '048180');
  assert.equal(hex(tlv(0x04, Buffer.alloc(300))).slice(0, 8), '0482012c');
  assert.equal(hex(sequence()), '3000');
  assert.equal(hex(bitString(Buffer.from([0xa0]), 5)), '030205a0');
});

test('times are UTCTime before 2050 and GeneralizedTime after', () => {
  assert.equal(time(new Date('2026-12-02T14:05:09.750Z')).toString('latin1', 2), '261202140509Z');
  assert.equal(time(new Date('2026-12-02T14:05:09Z'))[0], 0x17);
  const g = time(new Date('2050-01-01T00:00:00Z'));
  assert.equal(g[0], 0x18);
  assert.equal(g.toString('latin1', 2), '20500101000000Z');
});
