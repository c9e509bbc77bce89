import { argify } from '../argify';
import type { CommandSpec } from '../command';
import { CtlError, ExitBadArgs, ExitBadFeature, ExitInvalidInput } from '../exit-codes';
import { normalize } from '../go-json';
import {
  bytes,
  keyRange,
  parseDecInt64,
  parseHexInt64,
  sortFields,
  sortOrders,
  sortTargets,
} from '../kv-ops';
import { TxnResponse } from '../schemas';
import { readStdin } from '../stdin';

/** Lines of stdin read as Go's bufio ReadString('\n'): a last line without newline is an EOF error. */
class LineReader {
  private pos = 0;
  constructor(private readonly text: string) {}
  next(): string {
    const i = this.text.indexOf('\n', this.pos);
    if (i < 0) throw new CtlError(ExitInvalidInput, 'EOF');
    const line = this.text.slice(this.pos, i);
    this.pos = i + 1;
    return line;
  }
}

const quoted = '("(?:[^"\\\\]|\\\\.)*"|`[^`]*`)';
const cmpRe = new RegExp(`^${quoted}\\)\\s+(\\S+)\\s+${quoted}`);

function unquote(q: string): string {
  return q.startsWith('`') ? q.slice(1, -1) : JSON.parse(q);
}

const results: Record<string, number> = { '=': 0, '>': 1, '<': 2, '!=': 3 };

export function parseCompare(line: string): Record<string, unknown> {
  const lp = line.indexOf('(');
  if (lp < 0) throw new Error(`malformed comparison: ${line}`);
  const target = line.slice(0, lp);
  const m = cmpRe.exec(line.slice(lp + 1));
  if (!m) throw new Error(`malformed comparison: ${line}; got ${target}("") ${''} ""`);
  const key = bytes(unquote(m[1]));
  const op = m[2];
  const val = unquote(m[3]);
  const result = results[op];
  if (result === undefined) throw new CtlError(2, `Unknown result op ${op}`);
  const int = () => {
    try {
      return parseDecInt64(val).toString();
    } catch {
      throw new Error(`invalid txn compare request: ${line}`);
    }
  };
  switch (target) {
    case 'ver':
    case 'version':
      return { key, result, target: 0, version: int() };
    case 'c':
    case 'create':
      return { key, result, target: 1, createRevision: int() };
    case 'm':
    case 'mod':
      return { key, result, target: 2, modRevision: int() };
    case 'val':
    case 'value':
      return { key, result, target: 3, value: bytes(val) };
    default:
      throw new Error(`malformed comparison: ${line} (unknown target ${target})`);
  }
}

const valueOpts = new Set(['lease', 'limit', 'rev', 'sort-by', 'order', 'consistency']);

function splitFlags(args: string[]): { pos: string[]; flags: Record<string, string | true> } {
  const pos: string[] = [];
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      if (eq >= 0) flags[name] = a.slice(eq + 1);
      else if (valueOpts.has(name)) flags[name] = args[++i] ?? '';
      else flags[name] = true;
    } else pos.push(a);
  }
  return { pos, flags };
}

const on = (v: string | true | undefined) => v === true || v === 'true';

/** One success/failure line (`put k v`, `get k --prefix`, `del k`) as a RequestOp. */
export function parseOp(line: string): Record<string, unknown> {
  const args = argify(line);
  if (args.length < 2) throw new Error(`invalid txn compare request: ${line}`);
  const { pos, flags } = splitFlags(args.slice(1));
  switch (args[0]) {
    case 'put': {
      if (pos.length === 0)
        throw new CtlError(ExitBadArgs, 'put command needs 1 argument and input from stdin or 2 arguments');
      let lease = 0n;
      try {
        lease = parseHexInt64(String(flags.lease ?? '0'));
      } catch (e) {
        throw new CtlError(ExitBadArgs, `bad lease ID (${(e as Error).message}), expecting ID in Hex`);
      }
      return {
        requestPut: {
          key: bytes(pos[0]),
          value: bytes(pos[1] ?? ''),
          lease: lease.toString(),
          prevKv: on(flags['prev-kv']),
          ignoreValue: on(flags['ignore-value']),
          ignoreLease: on(flags['ignore-lease']),
        },
      };
    }
    case 'get': {
      const prefix = on(flags.prefix);
      const fromKey = on(flags['from-key']);
      const order = sortOrders[String(flags.order ?? '').toUpperCase()];
      const target = sortTargets[String(flags['sort-by'] ?? '').toUpperCase()];
      if (order === undefined) throw new CtlError(ExitBadFeature, `bad sort order ${flags.order}`);
      if (target === undefined) throw new CtlError(ExitBadFeature, `bad sort target ${flags['sort-by']}`);
      return {
        requestRange: {
          ...keyRange(pos[0], { prefix, fromKey, rangeEnd: pos[1] }),
          limit: Number(flags.limit ?? 0),
          revision: Number(flags.rev ?? 0),
          ...sortFields(target, order),
          serializable: flags.consistency === 's',
          keysOnly: on(flags['keys-only']),
          countOnly: on(flags['count-only']),
        },
      };
    }
    case 'del':
      return {
        requestDeleteRange: {
          ...keyRange(pos[0], { prefix: on(flags.prefix), fromKey: on(flags['from-key']), rangeEnd: pos[1] }),
          prevKv: on(flags['prev-kv']),
        },
      };
  }
  throw new Error(`invalid txn request: ${line}`);
}

export const txn: CommandSpec = {
  async run(ctx, args, f) {
    if (args.length !== 0) throw new CtlError(ExitBadArgs, 'txn command does not accept argument');
    const printer = ctx.printer();
    const conn = ctx.conn();
    const prompt = (s: string) => {
      if (f.interactive) process.stdout.write(`${s}\n`);
    };
    const input = new LineReader((await readStdin()).toString('utf8'));
    const section = <T>(parse: (line: string) => T): T[] => {
      const out: T[] = [];
      for (;;) {
        const line = input.next().trim();
        if (line.length === 0) return out;
        try {
          out.push(parse(line));
        } catch (e) {
          if (e instanceof CtlError) throw e;
          throw new CtlError(ExitInvalidInput, (e as Error).message);
        }
      }
    };
    prompt('compares:');
    const compare = section(parseCompare);
    prompt('success requests (get, put, del):');
    const success = section(parseOp);
    prompt('failure requests (get, put, del):');
    const failure = section(parseOp);
    const raw = await conn.unary('KV', 'Txn', { compare, success, failure });
    printer.txn(normalize(TxnResponse, raw));
  },
};
