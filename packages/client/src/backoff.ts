// Exponential backoff with full jitter, so many clients failing over at once do not stampede a member.

/** Backoff settings; all in milliseconds. */
export interface BackoffOptions {
  /** First delay ceiling. Default 50. */
  initialMs?: number;
  /** Largest delay. Default 2000. */
  maxMs?: number;
}

/** Delay before attempt `attempt` (0-based): random in [ceiling/2, ceiling], ceiling = initial * 2^attempt. */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const initial = options.initialMs ?? 50;
  const max = options.maxMs ?? 2000;
  const ceiling = Math.min(max, initial * 2 ** Math.min(attempt, 20));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
