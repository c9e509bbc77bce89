import { describeOp, type HistoryOp } from './history';
import { type RegisterState, step } from './register-model';

export type CheckResult =
  | { ok: true; ops: number; explored: number }
  | { ok: false; ops: number; explored: number; reason: string }
  | { ok: 'unknown'; ops: number; explored: number; reason: string };

/** Doubly linked event list (call and return events in time order), for the WGL search. */
interface Ev {
  id: number;
  isCall: boolean;
  time: number;
  match: Ev | undefined;
  prev: Ev | undefined;
  next: Ev | undefined;
}

function lift(call: Ev): void {
  call.prev!.next = call.next;
  if (call.next) call.next.prev = call.prev;
  const ret = call.match!;
  ret.prev!.next = ret.next;
  if (ret.next) ret.next.prev = ret.prev;
}

function unlift(call: Ev): void {
  const ret = call.match!;
  ret.prev!.next = ret;
  if (ret.next) ret.next.prev = ret;
  call.prev!.next = call;
  if (call.next) call.next.prev = call;
}

/**
 * Indeterminate writes (and swaps) whose value nobody ever observed can be linearized last, where they
 * change nothing anyone saw: leave them out so they do not multiply the search. With `keepForFailedCas`,
 * keep those a later failed compare-and-set may need: a failed CAS observes "the value is not `from`",
 * and an unseen indeterminate write may be the only thing that explains it.
 */
export function pruneUnobserved(ops: HistoryOp[], keepForFailedCas = false): HistoryOp[] {
  const seen = new Set<string>();
  let lastFailedCasRet = -Infinity;
  for (const h of ops) {
    if (h.op.f === 'read' && h.op.value !== null) seen.add(h.op.value);
    if (h.op.f === 'cas') seen.add(h.op.from);
    if (h.op.f === 'cas' && h.op.ok === false) lastFailedCasRet = Math.max(lastFailedCasRet, h.ret);
  }
  return ops.filter((h) => {
    if (Number.isFinite(h.ret)) return true;
    if (keepForFailedCas && h.call < lastFailedCasRet) return true;
    if (h.op.f === 'write') return seen.has(h.op.value);
    if (h.op.f === 'cas') return seen.has(h.op.to);
    return false;
  });
}

/**
 * Wing & Gong's search with Lowe's memoisation: is there an order of the operations of ONE register,
 * consistent with real time (a completed before b was called => a first), in which every result is what
 * the register would return? First without the unseen indeterminate writes (fast; success there is
 * success), and only if that fails again with the ones a failed CAS may need, which is exact but can
 * take much longer to prove a failure: past maxExplored steps the answer is 'unknown', never ok.
 */
export function checkRegister(
  history: HistoryOp[],
  init: RegisterState,
  maxExplored = 2_000_000,
): CheckResult {
  const fast = search(pruneUnobserved(history), init, maxExplored);
  if (fast.ok === true) return fast;
  const full = search(pruneUnobserved(history, true), init, maxExplored);
  if (full.ok === 'unknown' && fast.ok === false) {
    return {
      ...full,
      reason: `${fast.reason}, unless unseen indeterminate writes explain it (${full.reason})`,
    };
  }
  return full;
}

function search(ops: HistoryOp[], init: RegisterState, maxExplored: number): CheckResult {
  const n = ops.length;
  const events: Ev[] = [];
  ops.forEach((h, id) => {
    const call: Ev = { id, isCall: true, time: h.call, match: undefined, prev: undefined, next: undefined };
    const ret: Ev = { id, isCall: false, time: h.ret, match: undefined, prev: undefined, next: undefined };
    call.match = ret;
    events.push(call, ret);
  });
  // Equal times count as overlapping: calls sort before returns.
  events.sort((a, b) => a.time - b.time || (a.isCall === b.isCall ? 0 : a.isCall ? -1 : 1));
  const head: Ev = {
    id: -1,
    isCall: false,
    time: -Infinity,
    match: undefined,
    prev: undefined,
    next: undefined,
  };
  let prev = head;
  for (const e of events) {
    prev.next = e;
    e.prev = prev;
    prev = e;
  }

  let state: RegisterState = init;
  let linearized = 0n;
  const stack: Array<[Ev, RegisterState]> = [];
  const cache = new Set<string>();
  let explored = 0;
  let deepest = 0;
  let stuckAt: number | undefined;
  let entry = head.next;
  while (head.next !== undefined) {
    if (++explored > maxExplored) {
      return { ok: 'unknown', ops: n, explored, reason: `search gave up after ${maxExplored} steps` };
    }
    // Every call has its return later in the list, so the scan meets a return before the end.
    if (entry === undefined) throw new Error('checker invariant: ran off the event list');
    if (entry.isCall) {
      const [ok, next] = step(state, ops[entry.id]!.op);
      if (ok) {
        const lin = linearized | (1n << BigInt(entry.id));
        const key = `${lin.toString(36)}|${next}`;
        if (!cache.has(key)) {
          cache.add(key);
          stack.push([entry, state]);
          state = next;
          linearized = lin;
          lift(entry);
          if (stack.length > deepest) deepest = stack.length;
          entry = head.next;
          continue;
        }
      }
      entry = entry.next;
    } else {
      // A return whose call is not yet linearized: undo the last choice.
      if (stack.length === deepest) stuckAt = entry.id;
      const top = stack.pop();
      if (top === undefined) {
        const at = stuckAt !== undefined ? describeOp(ops[stuckAt]!) : describeOp(ops[entry.id]!);
        return {
          ok: false,
          ops: n,
          explored,
          reason: `no linearization: at most ${deepest} of ${n} ops could be ordered; stuck before ${at}`,
        };
      }
      const [e, s] = top;
      state = s;
      linearized &= ~(1n << BigInt(e.id));
      unlift(e);
      entry = e.next;
    }
  }
  return { ok: true, ops: n, explored };
}

/** Checks each key's register on its own (registers compose): the first failure or unknown wins. */
export function checkRegisters(
  history: HistoryOp[],
  init: (key: string) => RegisterState,
  maxExplored?: number,
): CheckResult & { perKey: Record<string, CheckResult> } {
  const byKey = new Map<string, HistoryOp[]>();
  for (const h of history) {
    const l = byKey.get(h.key) ?? [];
    l.push(h);
    byKey.set(h.key, l);
  }
  const perKey: Record<string, CheckResult> = {};
  let total = 0;
  let explored = 0;
  for (const [key, ops] of [...byKey].sort()) {
    const r = checkRegister(ops, init(key), maxExplored);
    perKey[key] = r;
    total += r.ops;
    explored += r.explored;
    if (r.ok !== true) return { ...r, reason: `key ${key}: ${r.reason}`, perKey };
  }
  return { ok: true, ops: total, explored, perKey };
}
