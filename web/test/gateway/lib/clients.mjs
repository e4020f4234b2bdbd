// The generated Turnstile clients over @connectrpc/connect-web's gRPC-web
// transport (binary: application/grpc-web+proto), as a browser app would
// use them, pointed at the gateway. Node's own fetch carries the calls.
import assert from "node:assert/strict";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";

import { ErrorInfoSchema, RetryInfoSchema } from "../../../src/gen/google/rpc/error_details_pb.js";
import { Coordinator } from "../../../src/gen/turnstile/v1/coordinator_pb.js";
import { Inventory } from "../../../src/gen/turnstile/v1/inventory_pb.js";
import { Order } from "../../../src/gen/turnstile/v1/order_pb.js";
import { Payment } from "../../../src/gen/turnstile/v1/payment_pb.js";
import { Seat } from "../../../src/gen/turnstile/v1/seat_pb.js";
import { env } from "./env.mjs";

/** @param {Partial<Parameters<typeof createGrpcWebTransport>[0]>} [options] */
export function gatewayTransport(options = {}) {
  return createGrpcWebTransport({ baseUrl: env.gatewayUrl, ...options });
}

/** One client per routed service, over `transport`. */
export function clients(transport = gatewayTransport()) {
  return {
    order: createClient(Order, transport),
    inventory: createClient(Inventory, transport),
    payment: createClient(Payment, transport),
    seat: createClient(Seat, transport),
    coordinator: createClient(Coordinator, transport),
  };
}

/** Call options carrying a bearer token (none if `token` is empty). */
export function auth(token, extra = {}) {
  return token ? { ...extra, headers: { authorization: `Bearer ${token}` } } : extra;
}

/** The ErrorInfo reason of a ConnectError, read with connect's own decoding. */
export function reasonOf(error) {
  return error.findDetails(ErrorInfoSchema)[0]?.reason ?? "";
}

/**
 * Awaits a call that must fail, and checks its code (a Code value) and,
 * if given, the ErrorInfo reason (domain "<service>.turnstile"). Returns the error.
 * @param {Promise<unknown>} call
 * @param {Code} code
 * @param {string | string[]} [reason] one reason or the acceptable ones
 */
export async function expectConnectError(call, code, reason) {
  let error;
  try {
    await call;
  } catch (e) {
    error = e;
  }
  assert.ok(error, `expected ${Code[code]}, the call succeeded`);
  assert.ok(error instanceof ConnectError, `not a ConnectError: ${error}`);
  assert.equal(
    Code[error.code],
    Code[code],
    `code ${Code[error.code]} (${error.rawMessage}), wanted ${Code[code]}`,
  );
  if (reason !== undefined) {
    const info = error.findDetails(ErrorInfoSchema)[0];
    assert.ok(info, `${Code[code]} without ErrorInfo: ${error.rawMessage}`);
    assert.match(info.domain, /(^|\.)turnstile$/);
    const wanted = Array.isArray(reason) ? reason : [reason];
    assert.ok(
      wanted.includes(info.reason),
      `reason ${info.reason}, wanted ${wanted.join(" or ")} (${error.rawMessage})`,
    );
  }
  return error;
}

/** The RetryInfo delay of a ConnectError in milliseconds, or undefined. */
export function retryDelayMs(error) {
  const delay = error.findDetails(RetryInfoSchema)[0]?.retryDelay;
  if (!delay) return undefined;
  return Number(delay.seconds) * 1000 + delay.nanos / 1e6;
}
