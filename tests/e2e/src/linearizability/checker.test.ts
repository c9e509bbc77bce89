import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkRegister, checkRegisters } from './checker';
import type { HistoryOp, RegisterOp } from './history';

const h = (process: number, op: RegisterOp, call: number, ret: number, key = 'k'): HistoryOp => ({
  process,
  key,
  op,
  call,
  ret,
});
const W = (value: string): RegisterOp => ({ f: 'write', value });
const R = (value: string | null): RegisterOp => ({ f: 'read', value });
const CAS = (from: string, to: string, ok?: boolean): RegisterOp => ({ f: 'cas', from, to, ok });

describe('register linearizability checker', () => {
  it('accepts a sequential history', () => {
    const r = checkRegister([h(1, W('a'), 0, 1), h(1, R('a'), 2, 3), h(1, CAS('a', 'b', true), 4, 5)], null);
    assert.equal(r.ok, true);
  });

  it('rejects a stale read after a completed write', () => {
    const r = checkRegister([h(1, W('x'), 0, 1), h(2, R(null), 2, 3)], null);
    assert.equal(r.ok, false);
    assert.match(r.ok === false ? r.reason : '', /no linearization/);
  });

  it('lets a concurrent write take effect before or after a read', () => {
    assert.equal(
      checkRegister([h(1, W('a'), 0, 10), h(2, R(null), 1, 2), h(2, R('a'), 3, 4)], null).ok,
      true,
    );
    assert.equal(checkRegister([h(1, W('a'), 0, 10), h(2, R('a'), 1, 2)], null).ok, true);
  });

  it('lets an unseen indeterminate write explain a later failed CAS', () => {
    // a is written; b's write times out and nobody reads b; CAS(a->c) then fails: b must have landed.
    const hist = [h(1, W('a'), 0, 1), h(2, W('b'), 2, Infinity), h(1, CAS('a', 'c', false), 3, 4)];
    assert.equal(checkRegister(hist, null).ok, true);
    // Without the indeterminate write the failed CAS has no explanation.
    assert.equal(checkRegister([hist[0]!, hist[2]!], null).ok, false);
  });

  it('rejects a value that goes back after being seen', () => {
    const r = checkRegister([h(1, W('a'), 0, 10), h(2, R('a'), 1, 2), h(2, R(null), 3, 4)], null);
    assert.equal(r.ok, false);
  });

  it('treats an indeterminate write as possibly applied, at any later time', () => {
    assert.equal(checkRegister([h(1, W('b'), 0, Infinity), h(2, R('b'), 5, 6)], 'a').ok, true);
    assert.equal(checkRegister([h(1, W('b'), 0, Infinity), h(2, R('a'), 5, 6)], 'a').ok, true);
    assert.equal(
      checkRegister([h(1, W('b'), 0, Infinity), h(2, R('b'), 5, 6), h(2, R('a'), 7, 8)], 'a').ok,
      false,
    );
    // Not before it was called.
    assert.equal(checkRegister([h(2, R('b'), 0, 1), h(1, W('b'), 2, Infinity)], 'a').ok, false);
  });

  it('checks compare-and-set outcomes, known and unknown', () => {
    assert.equal(checkRegister([h(1, CAS('a', 'b', false), 0, 1)], 'a').ok, false);
    assert.equal(checkRegister([h(1, CAS('z', 'b', false), 0, 1), h(1, R('a'), 2, 3)], 'a').ok, true);
    assert.equal(checkRegister([h(1, CAS('a', 'b', true), 0, 1), h(1, R('a'), 2, 3)], 'a').ok, false);
    assert.equal(
      checkRegister([h(1, CAS('a', 'b'), 0, Infinity), h(2, R('a'), 1, 2), h(2, R('b'), 3, 4)], 'a').ok,
      true,
    );
    assert.equal(
      checkRegister([h(1, CAS('a', 'b'), 0, Infinity), h(2, R('b'), 1, 2), h(2, R('a'), 3, 4)], 'a').ok,
      false,
    );
  });

  it('checks each key on its own', () => {
    const r = checkRegisters(
      [h(1, W('a'), 0, 1, 'x'), h(2, R(null), 0, 1, 'y'), h(2, R('a'), 2, 3, 'y')],
      () => null,
    );
    assert.equal(r.ok, false);
    assert.match(r.ok === false ? r.reason : '', /key y/);
  });

  it('accepts thousands of ops from a simulated atomic register quickly', () => {
    // Four clients on one atomic register; each op takes effect at a random instant inside its interval.
    let seed = 42;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    type Pending = { p: number; op: RegisterOp; call: number; at: number; ret: number };
    const pending: Pending[] = [];
    for (let p = 0; p < 4; p++) {
      let t = rnd() * 5;
      for (let i = 0; i < 600; i++) {
        const dur = 1 + rnd() * 20;
        const kind = rnd();
        const op: RegisterOp = kind < 0.4 ? W(`p${p}-${i}`) : kind < 0.8 ? R(null) : CAS('?', `c${p}-${i}`);
        pending.push({ p, op, call: t, at: t + rnd() * dur, ret: t + dur });
        t += dur + rnd() * 3;
      }
    }
    pending.sort((a, b) => a.at - b.at);
    let state: string | null = null;
    const hist: HistoryOp[] = [];
    let lastWritten: string | null = null;
    for (const x of pending) {
      let op = x.op;
      if (op.f === 'write') state = lastWritten = op.value;
      else if (op.f === 'read') op = R(state);
      else {
        const from = rnd() < 0.5 && lastWritten ? lastWritten : 'nope';
        const ok = state === from;
        if (ok) state = op.to;
        op = CAS(from, op.to, ok);
      }
      hist.push(h(x.p, op, x.call, x.ret));
    }
    const started = Date.now();
    const r = checkRegister(hist, null);
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.ok(Date.now() - started < 20_000);
  });
});
