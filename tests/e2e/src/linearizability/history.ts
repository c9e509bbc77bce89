/** What a client asked a register and what it learned. Values are unique per write. */
export type RegisterOp =
  | { f: 'write'; value: string }
  | { f: 'read'; value: string | null }
  /** ok undefined: the outcome is unknown (timeout, connection lost). */
  | { f: 'cas'; from: string; to: string; ok?: boolean };

/**
 * One completed or indeterminate operation. `ret` is Infinity when the client never learned the outcome:
 * such an operation may have taken effect at any time after `call`, or never.
 */
export interface HistoryOp {
  process: number;
  key: string;
  op: RegisterOp;
  call: number;
  ret: number;
}

export function describeOp(h: HistoryOp): string {
  const o = h.op;
  const what =
    o.f === 'write'
      ? `write(${o.value})`
      : o.f === 'read'
        ? `read()=${o.value}`
        : `cas(${o.from}->${o.to})=${o.ok === undefined ? '?' : o.ok}`;
  const ret = Number.isFinite(h.ret) ? h.ret.toFixed(1) : 'never';
  return `p${h.process} ${h.key} ${what} [${h.call.toFixed(1)}, ${ret}]`;
}
