// Raw gRPC-web on the wire, for the protocol tests that must send what no
// well-behaved client sends (bad frames, bad base64, odd content types,
// oversized bodies) and read exactly what the gateway answers: frames
// (PROTOCOL-WEB.md: 1 flag byte, 4 length bytes big-endian, the bytes;
// flag 0x80 = trailers), trailers-only answers (status in the HTTP headers)
// and grpc-status-details-bin decoded with the generated google.rpc schemas.
import http from "node:http";
import net from "node:net";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { base64Decode } from "@bufbuild/protobuf/wire";
import { anyUnpack } from "@bufbuild/protobuf/wkt";

import { ErrorInfoSchema, RetryInfoSchema } from "../../../src/gen/google/rpc/error_details_pb.js";
import { StatusSchema } from "../../../src/gen/google/rpc/status_pb.js";
import { env } from "./env.mjs";

export const TRAILER_FLAG = 0x80;

/** One frame: flag, big-endian length, payload. */
export function frame(payload, flag = 0, length = payload.length) {
  const out = Buffer.alloc(5 + payload.length);
  out[0] = flag;
  out.writeUInt32BE(length, 1);
  Buffer.from(payload).copy(out, 5);
  return out;
}

/** A data frame holding one message of `schema`. */
export function messageFrame(schema, init) {
  return frame(toBinary(schema, create(schema, init)));
}

/** Splits a binary body into frames; throws on a malformed one. */
export function parseFrames(body) {
  const frames = [];
  let at = 0;
  while (at < body.length) {
    if (body.length - at < 5) throw new Error(`truncated frame header at ${at}`);
    const flag = body[at];
    const length = body.readUInt32BE(at + 1);
    if (at + 5 + length > body.length) throw new Error(`frame at ${at} overruns the body`);
    frames.push({ flag, data: body.subarray(at + 5, at + 5 + length) });
    at += 5 + length;
  }
  return frames;
}

/** "key: value\r\n" lines of a trailer frame, keys lower-cased. */
export function parseTrailerBlock(data) {
  const trailers = {};
  for (const line of Buffer.from(data).toString("latin1").split("\r\n")) {
    if (!line) continue;
    const colon = line.indexOf(":");
    if (colon < 0) throw new Error(`bad trailer line ${JSON.stringify(line)}`);
    trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return trailers;
}

/**
 * google.rpc.Status from a grpc-status-details-bin value (base64, padded or
 * not), with its ErrorInfo and RetryInfo unpacked.
 */
export function decodeStatusDetails(value) {
  if (!value) return { rpcStatus: undefined, errorInfo: undefined, retryInfo: undefined };
  const rpcStatus = fromBinary(StatusSchema, base64Decode(value));
  let errorInfo;
  let retryInfo;
  for (const any of rpcStatus.details) {
    errorInfo ??= anyUnpack(any, ErrorInfoSchema);
    retryInfo ??= anyUnpack(any, RetryInfoSchema);
  }
  return { rpcStatus, errorInfo, retryInfo };
}

/**
 * One HTTP/1.1 request on a new connection (agent: false), with Node's http
 * client. A server that answers before it has read the whole body and
 * closes (an oversized request) still yields its answer.
 * @param {object} o
 * @param {string} [o.method]
 * @param {string} o.path sent as given, unnormalised
 * @param {Record<string, string | number>} [o.headers]
 * @param {Buffer | string} [o.body]
 * @param {string} [o.localAddress] a loopback source address, e.g. 127.0.0.2
 * @param {number} [o.timeoutMs]
 * @returns {Promise<{status: number, headers: http.IncomingHttpHeaders, body: Buffer, ms: number}>}
 */
export function httpRequest({
  method = "GET",
  path,
  headers = {},
  body,
  localAddress,
  timeoutMs = 10_000,
}) {
  const { host, port } = env.gatewayAddress;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const request = http.request({
      host,
      port,
      method,
      path,
      headers:
        body === undefined ? headers : { "content-length": Buffer.byteLength(body), ...headers },
      agent: false,
      localAddress,
      timeout: timeoutMs,
    });
    let answered = false;
    request.on("response", (response) => {
      answered = true;
      const chunks = [];
      response.on("data", (chunk) => chunks.push(chunk));
      response.on("end", () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks),
          ms: performance.now() - started,
        }),
      );
      response.on("error", reject);
    });
    request.on("timeout", () =>
      request.destroy(new Error(`${method} ${path}: no answer in ${timeoutMs} ms`)),
    );
    request.on("error", (error) => {
      // EPIPE/ECONNRESET while still writing a body the server refused to
      // read: its answer, if it sent one, arrives as a response anyway.
      if (!answered) reject(error);
    });
    request.end(body);
  });
}

/**
 * A gRPC-web call on the wire. `body` is the request body as sent (already
 * framed; for text mode already base64 unless `encode`). Returns the HTTP
 * status and headers, the data frames' payloads, the trailers (from the
 * trailer frame, or from the headers of a trailers-only answer) and the
 * decoded status details.
 * @param {object} o
 * @param {string} o.path e.g. /turnstile.v1.Inventory/GetSku
 * @param {Buffer | string} o.body
 * @param {boolean} [o.text] application/grpc-web-text, base64 both ways
 * @param {boolean} [o.encode] base64-encode `body` first (text mode)
 * @param {string} [o.contentType]
 * @param {Record<string, string>} [o.headers]
 * @param {string} [o.localAddress]
 */
export async function grpcWebCall({
  path,
  body,
  text = false,
  encode = true,
  contentType,
  headers = {},
  localAddress,
}) {
  const sent = text && encode ? Buffer.from(body).toString("base64") : body;
  const response = await httpRequest({
    method: "POST",
    path,
    headers: {
      "content-type":
        contentType ?? (text ? "application/grpc-web-text" : "application/grpc-web+proto"),
      "x-grpc-web": "1",
      ...headers,
    },
    body: sent,
    localAddress,
  });
  const responseType = String(response.headers["content-type"] ?? "");
  const isText = responseType.startsWith("application/grpc-web-text");
  let frames = [];
  let rawBody = response.body;
  if (response.status === 200 && response.body.length > 0) {
    // A text answer may itself be several padded base64 chunks.
    rawBody = isText ? decodeBase64Chunks(response.body.toString("latin1")) : response.body;
    frames = parseFrames(rawBody);
  }
  const trailerFrame = frames.find((f) => f.flag & TRAILER_FLAG);
  const trailers = trailerFrame
    ? parseTrailerBlock(trailerFrame.data)
    : pickTrailers(response.headers);
  const details = decodeStatusDetails(trailers["grpc-status-details-bin"]);
  return {
    ...response,
    isText,
    trailersOnly: !trailerFrame,
    messages: frames.filter((f) => !(f.flag & TRAILER_FLAG)).map((f) => f.data),
    trailers,
    grpcStatus: trailers["grpc-status"] === undefined ? undefined : Number(trailers["grpc-status"]),
    grpcMessage:
      trailers["grpc-message"] === undefined
        ? undefined
        : decodeURIComponent(trailers["grpc-message"]),
    reason: details.errorInfo?.reason,
    ...details,
  };
}

function pickTrailers(headers) {
  const out = {};
  for (const key of ["grpc-status", "grpc-message", "grpc-status-details-bin"]) {
    if (headers[key] !== undefined) out[key] = String(headers[key]);
  }
  return out;
}

/** Decodes base64 that may be several chunks each ending in '=' padding. */
export function decodeBase64Chunks(text) {
  const parts = text.match(/[^=]+={0,2}/g) ?? [];
  return Buffer.concat(parts.map((part) => Buffer.from(part, "base64")));
}

/**
 * Raw bytes on a new TCP connection: writes `request`, then reads until the
 * server closes or `timeoutMs` passes, and returns what came back.
 */
export function rawExchange(request, { timeoutMs = 5_000 } = {}) {
  const { host, port } = env.gatewayAddress;
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const chunks = [];
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on("connect", () => socket.write(request));
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("error", (error) => {
      clearTimeout(timer);
      if (chunks.length) resolve(parseRawResponse(Buffer.concat(chunks)));
      else reject(error);
    });
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(parseRawResponse(Buffer.concat(chunks)));
    });
  });
}

/** Status line, headers and the rest of a raw HTTP/1.1 response. */
export function parseRawResponse(bytes) {
  const text = bytes.toString("latin1");
  const end = text.indexOf("\r\n\r\n");
  const head = end < 0 ? text : text.slice(0, end);
  const [statusLine = "", ...lines] = head.split("\r\n");
  const headers = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon > 0)
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const status = Number(statusLine.split(" ")[1] ?? 0);
  return { status, headers, body: end < 0 ? "" : text.slice(end + 4), raw: text };
}
