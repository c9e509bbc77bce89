// Where a backend's RocksDB lives inside its directory. A fresh backend is the directory itself
// (generation 0). A defragment writes a compact copy into `gen-N/` beside it and then names it in
// `ACTIVE` (written to a temporary file, fsynced, renamed: the switch is atomic), so a crash leaves
// either the old database or the finished copy in charge, never half of one. Opening removes what
// the last switch (or an interrupted copy) left behind.
import {
  closeSync,
  fsyncSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

const ACTIVE = 'ACTIVE';
const GENERATION = /^gen-(\d+)$/;

export interface Generation {
  /** 0 = the backend directory itself. */
  n: number;
  /** The RocksDB directory. */
  dir: string;
}

export function generationDir(path: string, n: number): string {
  return n === 0 ? path : join(path, `gen-${n}`);
}

/** The generation ACTIVE names (0 without the file). */
export function activeGeneration(path: string): Generation {
  let n = 0;
  try {
    const m = GENERATION.exec(readFileSync(join(path, ACTIVE), 'latin1').trim());
    if (m) n = Number(m[1]);
  } catch {
    // no ACTIVE: the directory itself is the database
  }
  return { n, dir: generationDir(path, n) };
}

/** Makes generation n the one that opens next; durable when this returns. */
export function switchGeneration(path: string, n: number): void {
  const tmp = join(path, `${ACTIVE}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, `gen-${n}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, join(path, ACTIVE));
  const dirFd = openSync(path, 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

/**
 * Removes every generation but `keep`: other gen-N directories (an interrupted copy, or the one a
 * switch replaced), and generation 0's files in the directory itself once a later one is active.
 */
export function removeOtherGenerations(path: string, keep: number): void {
  for (const name of readdirSync(path)) {
    const m = GENERATION.exec(name);
    if (m ? Number(m[1]) !== keep : name === `${ACTIVE}.tmp` || (keep !== 0 && name !== ACTIVE))
      rmSync(join(path, name), { recursive: true, force: true });
  }
}

/** Removes generation n only (a replaced one), leaving any newer copy under way alone. */
export function removeGeneration(path: string, n: number): void {
  if (n !== 0) {
    rmSync(generationDir(path, n), { recursive: true, force: true });
    return;
  }
  for (const name of readdirSync(path))
    if (!GENERATION.test(name) && name !== ACTIVE) rmSync(join(path, name), { recursive: true, force: true });
}
