import pino from 'pino';
import type { LogLevel } from '../config/config.js';

export type Logger = pino.Logger;

/** Structured logs to stderr, as etcd's zap logger writes them. */
export function createLogger(level: LogLevel, name: string): Logger {
  const lvl = level === 'panic' ? 'fatal' : level;
  return pino({ level: lvl, base: { name } }, pino.destination({ dest: 2, sync: true }));
}

/** A logger that discards everything (embedded use in tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
