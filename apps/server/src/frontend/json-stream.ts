// Splits a streaming request body into its top-level JSON values as they complete, so a client can keep
// sending watch or keep-alive requests on one open HTTP/1.1 body (as grpc-gateway lets it).
import { StringDecoder } from 'node:string_decoder';

export class JsonValueSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private buf = '';
  private pos = 0;
  private start = -1;
  private depth = 0;
  private inString = false;
  private escaped = false;

  /** Feeds bytes; returns the JSON texts completed by them (malformed text is passed on for the parser to reject). */
  push(chunk: Buffer): string[] {
    this.buf += this.decoder.write(chunk);
    const out: string[] = [];
    const s = this.buf;
    for (; this.pos < s.length; this.pos++) {
      const c = s.charCodeAt(this.pos);
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === 0x5c) this.escaped = true;
        else if (c === 0x22) {
          this.inString = false;
          if (this.depth === 0) this.emit(out);
        }
        continue;
      }
      if (c === 0x22) {
        this.inString = true;
        if (this.depth === 0) this.start = this.pos;
      } else if (c === 0x7b || c === 0x5b) {
        if (this.depth === 0) this.start = this.pos;
        this.depth++;
      } else if (c === 0x7d || c === 0x5d) {
        if (this.depth === 0) {
          // A stray closer: hand the rest over as one (invalid) value.
          this.start = this.pos;
          this.pos = s.length - 1;
          this.emit(out);
          continue;
        }
        if (--this.depth === 0) this.emit(out);
      } else if (this.depth === 0 && c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) {
        // A top-level scalar (true, 12, null...): ends at the next whitespace or structural character.
        let end = this.pos;
        while (end < s.length && !/[\s{}[\]"]/.test(s[end]!)) end++;
        if (end === s.length) break; // may continue in the next chunk
        this.start = this.pos;
        this.pos = end - 1;
        this.emit(out);
      }
    }
    if (this.start < 0) {
      this.buf = this.buf.slice(this.pos);
      this.pos = 0;
    } else if (this.start > 0) {
      this.buf = this.buf.slice(this.start);
      this.pos -= this.start;
      this.start = 0;
    }
    return out;
  }

  /** Characters of an incomplete value still buffered. */
  get pendingLength(): number {
    return this.buf.length;
  }

  /** Whatever is left at the end of the body (non-blank means a truncated value). */
  rest(): string {
    return (this.buf + this.decoder.end()).trim();
  }

  private emit(out: string[]): void {
    out.push(this.buf.slice(this.start, this.pos + 1));
    this.start = -1;
  }
}
