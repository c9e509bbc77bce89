// The wire codec for etcd's services.
import type { Codec } from './conn-options';

let codec: Codec | undefined;

export function loadCodec(): Codec {
  codec ??= (require('./dev-codec') as typeof import('./dev-codec')).devCodec();
  return codec;
}
