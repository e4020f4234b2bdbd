// The gateway through real third-party clients: @connectrpc/connect-web's
// gRPC-web transport (binary) with the generated protobuf-es clients, as
// the web UI will use it, and what the text flavour needs instead.
//
// Each test makes its own SKU, buyer and deposit through the gateway with
// an operator token, so the tests run in any order and alone.
import assert from "node:assert/strict";
import { test } from "node:test";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";

import {
  OrderState,
  PlaceOrderRequestSchema,
  PlaceOrderResponseSchema,
} from "../../src/gen/turnstile/v1/order_pb.js";
import {
  auth,
  clients,
  expectConnectError,
  gatewayTransport,
  reasonOf,
  retryDelayMs,
} from "./lib/clients.mjs";
import { env } from "./lib/env.mjs";
import { newBuyer, newSku, payNowRequest } from "./lib/fixtures.mjs";
import { codeIs, scrape, total } from "./lib/metrics.mjs";
import { adminToken } from "./lib/tokens.mjs";
import { grpcWebCall, messageFrame } from "./lib/wire.mjs";

// Every test ends by itself, whatever the gateway does.
const bounded = { timeout: 60_000 };

/** @typedef {import("../../src/gen/turnstile/v1/order_pb.js").PlaceOrderRequest} PlaceOrderRequest */
/** @typedef {import("../../src/gen/turnstile/v1/order_pb.js").PlaceOrderResponse} PlaceOrderResponse */

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

test("pay_now PlaceOrder through connect-web is PAID and debits the wallet", bounded, async () => {
  const admin = await adminToken();
  const sku = await newSku(admin, { stock: 5, price: 250n });
  const buyer = await newBuyer(admin, { balance: 1_000n });
  const { order, payment, inventory } = clients();

  const placed = await order.placeOrder(payNowRequest(sku.skuId, 2n), auth(buyer.token));
  assert.equal(OrderState[placed.order.state], "PAID");
  // The buyer is the token's subject, carried by the gateway as
  // x-turnstile-user: no request field names them.
  assert.equal(placed.order.userId, buyer.userId);
  assert.equal(placed.order.total.minorUnits, 500n);

  // Spendable balance drops at the Try; the frozen part goes once the
  // payment branch is confirmed (at most a moment after PAID).
  let wallet;
  for (let i = 0; i < 8; i++) {
    wallet = await payment.getWallet({ currency: "EUR" }, auth(buyer.token));
    if ((wallet.frozen?.minorUnits ?? 0n) === 0n) break;
    await sleep(600); // GetWallet is the rate-limited method: stay under it
  }
  assert.equal(wallet.userId, buyer.userId);
  assert.equal(wallet.balance.minorUnits, 500n);
  assert.equal(wallet.frozen?.minorUnits ?? 0n, 0n);

  const after = await inventory.getSku({ skuId: sku.skuId });
  assert.equal(after.sold + after.locked, 2n);
  assert.equal(after.available, 3n);
});

test("sold out: FAILED_PRECONDITION with ErrorInfo SOLD_OUT via findDetails", bounded, async () => {
  const admin = await adminToken();
  const { order } = clients();

  // No stock at all.
  const empty = await newSku(admin, { stock: 0 });
  const first = await newBuyer(admin);
  const error = await expectConnectError(
    order.placeOrder(payNowRequest(empty.skuId), auth(first.token)),
    Code.FailedPrecondition,
    "SOLD_OUT",
  );
  assert.equal(reasonOf(error), "SOLD_OUT");

  // The only unit sold, then nothing left for the next buyer.
  const single = await newSku(admin, { stock: 1 });
  const placed = await order.placeOrder(payNowRequest(single.skuId), auth(first.token));
  assert.equal(OrderState[placed.order.state], "PAID");
  const second = await newBuyer(admin);
  await expectConnectError(
    order.placeOrder(payNowRequest(single.skuId), auth(second.token)),
    Code.FailedPrecondition,
    "SOLD_OUT",
  );
});

test("rate limited: RESOURCE_EXHAUSTED with RetryInfo via findDetails", bounded, async () => {
  assert.equal(
    env.rateLimitedMethod,
    "/turnstile.v1.Payment/GetWallet",
    "this test drives GetWallet",
  );
  const admin = await adminToken();
  const buyer = await newBuyer(admin, { balance: 10n });
  const { payment } = clients();

  const burst = env.rateLimitBurst;
  const outcomes = [];
  for (let i = 0; i < burst + 3; i++) {
    try {
      await payment.getWallet({ currency: "EUR" }, auth(buyer.token));
      outcomes.push("ok");
    } catch (error) {
      outcomes.push(error);
    }
  }
  // A fresh bucket holds `burst` tokens: those calls pass, and calls made
  // faster than RATE_LIMIT_RATE refills it are refused.
  assert.deepEqual(outcomes.slice(0, burst), Array(burst).fill("ok"), "the burst itself is served");
  const refused = outcomes.filter((o) => o !== "ok");
  assert.ok(refused.length >= 1, "calls beyond the burst are refused");
  for (const error of refused) {
    assert.ok(error instanceof ConnectError, String(error));
    assert.equal(Code[error.code], "ResourceExhausted");
    assert.equal(reasonOf(error), "RATE_LIMITED");
    const delay = retryDelayMs(error);
    assert.ok(delay !== undefined, "RetryInfo present");
    // One token takes 1/rate seconds to come back.
    assert.ok(
      delay > 0 && delay <= (1000 / env.rateLimitRate) * 2 + 100,
      `retry delay ${delay} ms`,
    );
  }
});

test("grpc-timeout: connect's timeoutMs ends in DEADLINE_EXCEEDED quickly", bounded, async () => {
  // connect-web sends timeoutMs as grpc-timeout AND aborts the fetch itself
  // when it passes, so this shows the client side only: the call ends in
  // DeadlineExceeded within the bound whatever the gateway does.
  const admin = await adminToken();
  const sku = await newSku(admin, { stock: 5 });
  const buyer = await newBuyer(admin);
  const { order } = clients();
  const started = performance.now();
  await expectConnectError(
    order.placeOrder(payNowRequest(sku.skuId), auth(buyer.token, { timeoutMs: 1 })),
    Code.DeadlineExceeded,
  );
  assert.ok(performance.now() - started < 1000, "within 1 s");
});

test("grpc-timeout: the gateway applies it as the backend deadline", bounded, async () => {
  // No client-side timer here: a raw call with grpc-timeout 1m (1 ms). No
  // backend can be made slow from outside, but a pay_now PlaceOrder is
  // several mesh calls and PostgreSQL commits (Begin, the Tries, Commit),
  // far more than 1 ms, so the deadline the gateway sets arrives first and
  // the answer -- from the gateway, within ~1 s -- is DEADLINE_EXCEEDED,
  // which the gateway also counts under the method.
  const admin = await adminToken();
  const sku = await newSku(admin, { stock: 5 });
  const buyer = await newBuyer(admin);
  const method = "/turnstile.v1.Order/PlaceOrder";
  const counted = async () =>
    total(
      await scrape(env.gatewayMetricsUrl),
      "turnstile_gateway_requests_total",
      (l) => l.method === method && codeIs(l.code, 4),
    );
  const before = await counted();

  const started = performance.now();
  const answer = await grpcWebCall({
    path: method,
    body: messageFrame(PlaceOrderRequestSchema, payNowRequest(sku.skuId)),
    headers: { authorization: `Bearer ${buyer.token}`, "grpc-timeout": "1m" },
  });
  const elapsed = performance.now() - started;
  assert.equal(answer.status, 200);
  assert.equal(answer.grpcStatus, 4, `grpc-status ${answer.grpcStatus} ${answer.grpcMessage}`);
  assert.ok(elapsed < 1000, `answered in ${elapsed} ms`);
  assert.equal(await counted(), before + 1);

  // A malformed grpc-timeout is refused, not run without a deadline.
  const malformed = await grpcWebCall({
    path: method,
    body: messageFrame(PlaceOrderRequestSchema, payNowRequest(sku.skuId)),
    headers: { authorization: `Bearer ${buyer.token}`, "grpc-timeout": "soon" },
  });
  assert.notEqual(malformed.grpcStatus, 0, "a malformed grpc-timeout is not ignored");
});

test("text flavour: connect-web cannot speak application/grpc-web-text", bounded, async () => {
  // connect-web's gRPC-web transport sends application/grpc-web+proto, or
  // application/grpc-web+json with useBinaryFormat: false; it has no text
  // mode (its source says so). The gateway speaks protobuf only, so +json
  // is a wrong content type: HTTP 415.
  const seen = [];
  const spy = async (input, init) => {
    const response = await fetch(input, init);
    seen.push({ type: new Headers(init?.headers).get("content-type"), status: response.status });
    return response;
  };
  const binary = clients(gatewayTransport({ fetch: spy }));
  await binary.inventory.listSkus({ pageSize: 1 });
  assert.equal(seen[0].type, "application/grpc-web+proto");
  assert.equal(seen[0].status, 200);

  const json = clients(gatewayTransport({ fetch: spy, useBinaryFormat: false }));
  await assert.rejects(json.inventory.listSkus({ pageSize: 1 }), ConnectError);
  assert.equal(seen[1].type, "application/grpc-web+json");
  assert.equal(seen[1].status, 415);
});

test(
  "text flavour: Google's grpc-web runtime in text mode",
  {
    ...bounded,
    skip:
      typeof globalThis.XMLHttpRequest === "undefined" &&
      "grpc-web needs XMLHttpRequest, which Node lacks: browser.test.mjs runs it in Chromium (a text PlaceOrder and a text error)",
  },
  async () => {
    // Reached only on a runtime with XMLHttpRequest. protoc-gen-grpc-web
    // (the runtime's code generator) cannot be installed here, so the
    // method descriptor is built by hand around protobuf-es.
    const grpcWeb = (await import("grpc-web")).default;
    const admin = await adminToken();
    const sku = await newSku(admin, { stock: 5 });
    const buyer = await newBuyer(admin);
    /** @type {import("grpc-web").MethodDescriptor<PlaceOrderRequest, PlaceOrderResponse>} */
    const descriptor = new grpcWeb.MethodDescriptor(
      "/turnstile.v1.Order/PlaceOrder",
      grpcWeb.MethodType.UNARY,
      /** @type {any} */ (Object), // a type witness only
      /** @type {any} */ (Object),
      (message) => toBinary(PlaceOrderRequestSchema, message),
      (bytes) => fromBinary(PlaceOrderResponseSchema, bytes),
    );
    const base = new grpcWeb.GrpcWebClientBase({ format: "text" });
    const placed = await base.unaryCall(
      `${env.gatewayUrl}/turnstile.v1.Order/PlaceOrder`,
      create(PlaceOrderRequestSchema, payNowRequest(sku.skuId)),
      { authorization: `Bearer ${buyer.token}` },
      descriptor,
    );
    assert.equal(OrderState[placed.order.state], "PAID");
  },
);
