import type { RegisterOp } from './history';

export type RegisterState = string | null;

/**
 * One step of a read/write/compare-and-set register: whether op can take effect in state, and the state
 * after. An indeterminate CAS always "can": at a point where it matches it swaps, elsewhere it is a no-op,
 * which is the same as it never having happened.
 */
export function step(state: RegisterState, op: RegisterOp): [boolean, RegisterState] {
  switch (op.f) {
    case 'write':
      return [true, op.value];
    case 'read':
      return [state === op.value, state];
    case 'cas':
      if (op.ok === undefined) return [true, state === op.from ? op.to : state];
      return op.ok ? [state === op.from, op.to] : [state !== op.from, state];
  }
}
