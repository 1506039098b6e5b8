/** Plain HTTP answers of the listener: JSON bodies, the OpenAI error envelope, refused upgrades. */
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { ERROR_CODES } from '../../protocol/realtime/index.js';
import type { ErrorCode } from '../../protocol/realtime/index.js';

/** `{"error":{"message","type","param","code"}}`, as OpenAI's HTTP errors. */
export function errorEnvelope(code: ErrorCode, message: string) {
  return { error: { message, type: ERROR_CODES[code].type, param: null, code } };
}

/** Sends a JSON body. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Sends the OpenAI error envelope. */
export function sendError(res: ServerResponse, status: number, code: ErrorCode, message: string): void {
  sendJson(res, status, errorEnvelope(code, message));
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  503: 'Service Unavailable',
};

/** Writes a whole HTTP response on a socket that was asked to upgrade, then ends it. */
export function writeRawResponse(
  socket: Duplex,
  status: number,
  contentType: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  const extra = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\n` +
      `Connection: close\r\nContent-Type: ${contentType}\r\n` +
      extra +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/** Answers a refused upgrade with a real HTTP response and the OpenAI error envelope. */
export function refuseUpgrade(
  socket: Duplex,
  status: number,
  code: ErrorCode,
  message: string,
  headers: Record<string, string> = {},
): void {
  writeRawResponse(socket, status, 'application/json', JSON.stringify(errorEnvelope(code, message)), headers);
}
