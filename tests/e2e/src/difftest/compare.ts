import type { Plain } from './normalise';

/** Key-order-independent text of a plain value (plain() already sorts keys; this keeps it so). */
export function canonical(p: Plain): string {
  return JSON.stringify(p);
}

/** The first path where two plain values differ, or undefined when they are equal. */
export function firstDifference(a: Plain, b: Plain, path = '$'): string | undefined {
  if (canonical(a) === canonical(b)) return undefined;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const d = firstDifference(a[i] ?? null, b[i] ?? null, `${path}[${i}]`);
      if (d) return d;
    }
    return path;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = firstDifference(a[k] ?? null, b[k] ?? null, `${path}.${k}`);
      if (d) return d;
    }
    return path;
  }
  return path;
}
