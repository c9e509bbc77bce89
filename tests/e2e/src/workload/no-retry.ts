import type { IOptions } from 'etcd3';

/**
 * A pass-through fault policy for etcd3's `faultHandling.global`: exactly one attempt per call, so a
 * test knows that an acknowledged call was applied once and a failed call at most once.
 */
const noEvent = () => ({ dispose() {} });
export const SINGLE_ATTEMPT = {
  onSuccess: noEvent,
  onFailure: noEvent,
  execute: async (fn: (ctx: { signal: AbortSignal }) => unknown, signal?: AbortSignal) =>
    fn({ signal: signal ?? new AbortController().signal }),
} as unknown as NonNullable<NonNullable<IOptions['faultHandling']>['global']>;
