// The HTTP side of etcd's grpc-gateway as pure functions: which RPC a request names, the request
// message(s) in its body, and the exact bytes etcd answers with. The server owns sockets and headers.

import { gatewayRoutes } from './gateway-routes.js';
import { goQuote, type JsonNode, JsonSyntaxError, parseJsonValues } from './go-json.js';
import { GrpcCode } from './grpc-code.js';
import { JsonMappingError, messageFromJsonNode, messageToJson } from './json-mapping.js';
import type { AnyMethod, Method } from './method.js';

const HTTP_STATUS: readonly number[] = [
  200, 408, 500, 400, 504, 404, 409, 403, 429, 412, 409, 400, 501, 500, 503, 500, 401,
];

/** The HTTP status grpc-gateway (v1, as in etcd 3.4/3.5) uses for a gRPC status code. */
export function httpStatusFromGrpcCode(code: number): number {
  return HTTP_STATUS[code] ?? 500;
}

/** The body etcd's gateway sends for a failed call: `{"error":m,"message":m,"code":c}`. */
export function gatewayErrorJson(code: number, message: string): string {
  const m = goQuote(message);
  return `{"error":${m},"message":${m},"code":${code}}`;
}

/** One message of a streaming response: `{"result":{...}}` and a newline, as etcd writes each. */
export function gatewayStreamChunk(method: AnyMethod, message: object): string {
  return `{"result":${messageToJson(method.responseType, message)}}\n`;
}

/**
 * The last chunk of a stream that ends in an error, in the shape of grpc-gateway v1.11 (etcd 3.4): a
 * StreamError message with no delimiter after it. Send HTTP status `httpStatusFromGrpcCode(code)` if no
 * chunk was written yet.
 */
export function gatewayStreamErrorChunk(code: number, message: string): string {
  const status = httpStatusFromGrpcCode(code);
  const parts = [];
  if (code !== 0) parts.push(`"grpc_code":${code}`);
  parts.push(`"http_code":${status}`);
  if (message) parts.push(`"message":${goQuote(message)}`);
  parts.push(`"http_status":${goQuote(HTTP_TEXT[status] ?? '')}`);
  return `{"error":{${parts.join(',')}}}`;
}

const HTTP_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  409: 'Conflict',
  412: 'Precondition Failed',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** The JSON body of a unary response (no trailing newline, as etcd). */
export function gatewayResponseJson(method: AnyMethod, message: object): string {
  return messageToJson(method.responseType, message);
}

/** A request the gateway turns away: send `status`, `contentType` and `body` as they are. */
export class GatewayError extends Error {
  constructor(
    readonly status: number,
    readonly contentType: string,
    readonly body: string,
    message: string,
    /** gRPC code for JSON errors; undefined for the plain-text 404/405 answers. */
    readonly code?: number,
  ) {
    super(message);
  }

  static grpc(code: number, message: string): GatewayError {
    return new GatewayError(
      httpStatusFromGrpcCode(code),
      'application/json',
      gatewayErrorJson(code, message),
      message,
      code,
    );
  }
}

/** Finds the RPC bound to an HTTP method and path (the query string, if any, is ignored). */
export function findGatewayMethod(httpMethod: string, path: string): AnyMethod {
  const q = path.indexOf('?');
  const method = gatewayRoutes.get(q < 0 ? path : path.slice(0, q));
  if (!method)
    throw new GatewayError(404, 'text/plain; charset=utf-8', 'Not Found\n', `no gateway route ${path}`);
  if (httpMethod.toUpperCase() !== 'POST') {
    throw new GatewayError(405, 'text/plain; charset=utf-8', 'Method Not Allowed\n', `${httpMethod} ${path}`);
  }
  return method;
}

export interface GatewayCall<M extends AnyMethod = AnyMethod> {
  method: M;
  /**
   * The request messages in the body. A unary or server-streaming call has exactly one (an empty body is an
   * empty message); a client-streaming call (Watch, LeaseKeepAlive) has one per JSON value in the body.
   */
  requests: M extends Method<infer T, any, any, any> ? T[] : never;
}

/**
 * Turns an HTTP request into the RPC and request message(s). Throws GatewayError carrying etcd's exact
 * answer (404/405 text, or a JSON error with code 3, or code 2 for streaming calls as etcd reports them).
 */
export function parseGatewayRequest(
  httpMethod: string,
  path: string,
  body: string | Uint8Array,
): GatewayCall {
  const method = findGatewayMethod(httpMethod, path);
  const text =
    typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString();
  // etcd's gateway decodes stream bodies inside the stream handler, which reports failures as Unknown.
  const failCode = method.requestStream ? GrpcCode.UNKNOWN : GrpcCode.INVALID_ARGUMENT;
  try {
    let nodes: JsonNode[] = parseJsonValues(text, method.requestStream ? Number.POSITIVE_INFINITY : 1);
    if (nodes.length === 0 && !method.requestStream) nodes = [{ kind: 'null' }];
    return { method, requests: nodes.map((n) => messageFromJsonNode(method.requestType, n)) };
  } catch (e) {
    if (e instanceof JsonSyntaxError || e instanceof JsonMappingError)
      throw GatewayError.grpc(failCode, e.message);
    throw e;
  }
}
