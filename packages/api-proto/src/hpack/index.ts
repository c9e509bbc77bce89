// HPACK (RFC 7541) without node:http2: `@kv/api-proto/hpack`.
export { HpackDecoder, HpackError } from './decoder.js';
export { encodeLiteralBlock } from './encoder.js';
