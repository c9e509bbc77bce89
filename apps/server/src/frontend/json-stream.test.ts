import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JsonValueSplitter } from './json-stream';

function feed(parts: string[]): { values: string[]; rest: string } {
  const s = new JsonValueSplitter();
  const values: string[] = [];
  for (const p of parts) values.push(...s.push(Buffer.from(p)));
  return { values, rest: s.rest() };
}

describe('JsonValueSplitter', () => {
  it('splits concatenated and newline-separated objects, across chunk boundaries', () => {
    const r = feed(['{"a":1}{"b":', '{"c":"}{\\"x"}}\n  {"d"', ':[1,{"e":2}]}']);
    assert.deepEqual(r.values, ['{"a":1}', '{"b":{"c":"}{\\"x"}}', '{"d":[1,{"e":2}]}']);
    assert.equal(r.rest, '');
  });

  it('keeps a truncated value as the rest, and passes malformed text on', () => {
    assert.deepEqual(feed(['{"a":1} {"b":']), { values: ['{"a":1}'], rest: '{"b":' });
    assert.deepEqual(feed(['} {"a":1}']).values, ['} {"a":1}']);
    assert.deepEqual(feed(['true {"a":1}']).values, ['true', '{"a":1}']);
  });

  it('decodes UTF-8 split inside a character', () => {
    const bytes = Buffer.from('{"k":"é"}');
    const s = new JsonValueSplitter();
    const out = [...s.push(bytes.subarray(0, 7)), ...s.push(bytes.subarray(7))];
    assert.deepEqual(out, ['{"k":"é"}']);
  });
});
