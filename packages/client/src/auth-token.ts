// Keeps the auth token for a username/password: fetched on first use, replaced when a member rejects it.
// Concurrent callers share one in-flight Authenticate call.
import type { Invoker, TokenProvider } from './rpc';
import { wireMethod } from './wire';

export class PasswordTokens implements TokenProvider {
  private current?: string;
  private pending?: Promise<string>;

  constructor(
    private readonly invoker: Invoker,
    private readonly username: string,
    private readonly password: string,
  ) {}

  token(signal?: AbortSignal): Promise<string | undefined> {
    if (this.current !== undefined) return Promise.resolve(this.current);
    return this.fetch(signal);
  }

  refresh(rejected: string | undefined, signal?: AbortSignal): Promise<string | undefined> {
    if (this.current !== undefined && this.current !== rejected) return Promise.resolve(this.current);
    this.current = undefined;
    return this.fetch(signal);
  }

  private fetch(signal?: AbortSignal): Promise<string> {
    if (!this.pending) {
      // Authenticate changes no data, so it is safe to retry like a read.
      this.pending = this.invoker
        .unary(wireMethod('Auth', 'Authenticate'), { name: this.username, password: this.password }, 'read', {
          signal,
        })
        .then((res) => {
          this.current = String(res.token);
          return this.current;
        })
        .finally(() => {
          this.pending = undefined;
        });
    }
    return this.pending;
  }
}
