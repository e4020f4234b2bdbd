// The gateway's HTTP and gRPC-web handling on the wire, with Node's http
// client and raw sockets: routing at the edge (and proof, from the
// backends' own counters, that unrouted calls never reach them), CORS,
// framing and base64 errors, size bounds, content types and methods, and
// the static files with their path checks.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fromBinary } from "@bufbuild/protobuf";

import { GetSkuRequestSchema, SkuSchema } from "../../src/gen/turnstile/v1/inventory_pb.js";
import { env } from "./lib/env.mjs";
import { newSku } from "./lib/fixtures.mjs";
import { codeIs, scrape, scrapeAll, total } from "./lib/metrics.mjs";
import { adminToken } from "./lib/tokens.mjs";
import { frame, grpcWebCall, httpRequest, messageFrame, rawExchange } from "./lib/wire.mjs";

// Every test ends by itself, whatever the gateway does.
const bounded = { timeout: 60_000 };

const GET_SKU = "/turnstile.v1.Inventory/GetSku";
const getSkuBody = (skuId) => messageFrame(GetSkuRequestSchema, { skuId });

// Codes (grpc/status.h numbering).
const OK = 0;
const INVALID_ARGUMENT = 3;
const RESOURCE_EXHAUSTED = 8;
const UNIMPLEMENTED = 12;

// Runs first in this file: nothing else has called the mesh yet, so the
// backends' counters move only if the gateway forwards what it must not.
test("unrouted methods: UNIMPLEMENTED at the edge, never seen by a backend", bounded, async () => {
  const admin = await adminToken();
  const sku = await newSku(admin, { stock: 1 });
  const unrouted = [
    // The TCC Tries (participant.proto's second phase and each service's
    // own Try), the coordinator's transaction verbs, and a made-up path.
    "/turnstile.v1.Participant/Confirm",
    "/turnstile.v1.Participant/Cancel",
    "/turnstile.v1.Inventory/ReserveStock",
    "/turnstile.v1.Seat/HoldSeats",
    "/turnstile.v1.Payment/AuthorizePayment",
    "/turnstile.v1.Coordinator/Begin",
    "/turnstile.v1.Coordinator/RegisterBranch",
    "/turnstile.v1.Coordinator/Commit",
    "/turnstile.v1.Coordinator/Abort",
    "/x.Y/Z",
  ];
  const watched = (labels) => unrouted.includes(labels.method) || labels.method === "unknown";
  const counters = (byBackend) =>
    Object.fromEntries(
      Object.entries(byBackend).map(([backend, samples]) => [
        backend,
        {
          rpc: total(samples, "turnstile_rpc_total", watched),
          denied: total(samples, "turnstile_authz_denied_total", watched),
        },
      ]),
    );
  const gatewayUnrouted = async () =>
    total(
      await scrape(env.gatewayMetricsUrl),
      "turnstile_gateway_requests_total",
      (l) => l.method === "unrouted" && codeIs(l.code, UNIMPLEMENTED),
    );

  const backendsBefore = counters(await scrapeAll(env.metricsUrls));
  const gatewayBefore = await gatewayUnrouted();
  for (const path of unrouted) {
    // An operator token: a refusal here comes from the route table, not
    // from a missing credential.
    const answer = await grpcWebCall({
      path,
      body: frame(new Uint8Array(0)),
      headers: { authorization: `Bearer ${admin}` },
    });
    assert.equal(answer.status, 200, path);
    assert.equal(
      answer.grpcStatus,
      UNIMPLEMENTED,
      `${path}: ${answer.grpcStatus} ${answer.grpcMessage}`,
    );
    assert.equal(answer.messages.length, 0, path);
  }
  const backendsAfter = counters(await scrapeAll(env.metricsUrls));
  assert.deepEqual(backendsAfter, backendsBefore, "no backend counted any of those methods");
  assert.equal(
    await gatewayUnrouted(),
    gatewayBefore + unrouted.length,
    "the gateway counted them as unrouted",
  );

  // ... and keeps serving.
  const answer = await grpcWebCall({ path: GET_SKU, body: getSkuBody(sku.skuId) });
  assert.equal(answer.grpcStatus, OK);
  assert.equal(fromBinary(SkuSchema, answer.messages[0]).skuId, sku.skuId);
});

test("CORS preflight: an allowed origin gets the contract's headers", bounded, async () => {
  const origin = env.allowedOrigin;
  const answer = await httpRequest({
    method: "OPTIONS",
    path: GET_SKU,
    headers: {
      origin,
      "access-control-request-method": "POST",
      "access-control-request-headers":
        "authorization,content-type,x-grpc-web,x-user-agent,grpc-timeout,traceparent",
    },
  });
  assert.equal(answer.status, 204);
  const h = answer.headers;
  assert.equal(h["access-control-allow-origin"], origin);
  assert.equal(h["access-control-allow-credentials"], "true");
  const list = (value) =>
    String(value ?? "")
      .split(",")
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean);
  for (const method of ["POST", "GET", "OPTIONS"]) {
    assert.ok(
      list(h["access-control-allow-methods"]).includes(method.toLowerCase()),
      `allow-methods ${method}`,
    );
  }
  for (const header of [
    "authorization",
    "content-type",
    "x-grpc-web",
    "x-user-agent",
    "grpc-timeout",
    "traceparent",
    "tracestate",
  ]) {
    assert.ok(list(h["access-control-allow-headers"]).includes(header), `allow-headers ${header}`);
  }
  assert.ok(Number(h["access-control-max-age"]) > 0, "max-age");
  assert.ok(list(h["vary"]).includes("origin"), "Vary: Origin");

  // The gateway's own origin is allowed too (the test page is served there).
  const own = await httpRequest({
    method: "OPTIONS",
    path: GET_SKU,
    headers: { origin: env.gatewayUrl, "access-control-request-method": "POST" },
  });
  assert.equal(own.status, 204);
  assert.equal(own.headers["access-control-allow-origin"], env.gatewayUrl);
});

test("CORS preflight: a disallowed origin gets 403 and no ACAO", bounded, async () => {
  for (const origin of ["http://evil.example", "null", `${env.allowedOrigin}.evil.example`]) {
    const answer = await httpRequest({
      method: "OPTIONS",
      path: GET_SKU,
      headers: { origin, "access-control-request-method": "POST" },
    });
    assert.equal(answer.status, 403, origin);
    assert.equal(answer.headers["access-control-allow-origin"], undefined, origin);
  }
});

test(
  "CORS actual response: ACAO and exposed grpc headers for an allowed origin only",
  bounded,
  async () => {
    const allowed = await grpcWebCall({
      path: GET_SKU,
      body: getSkuBody("no-such-sku"),
      headers: { origin: env.allowedOrigin },
    });
    assert.equal(allowed.status, 200);
    assert.equal(allowed.headers["access-control-allow-origin"], env.allowedOrigin);
    const exposed = String(allowed.headers["access-control-expose-headers"] ?? "")
      .split(",")
      .map((s) => s.trim().toLowerCase());
    for (const header of [
      "grpc-status",
      "grpc-message",
      "grpc-status-details-bin",
      "x-turnstile-trace-id",
    ]) {
      assert.ok(exposed.includes(header), `expose ${header}`);
    }
    // The call's W3C trace id (a new trace: the request sent no traceparent).
    assert.match(String(allowed.headers["x-turnstile-trace-id"] ?? ""), /^[0-9a-f]{32}$/);
    const other = await grpcWebCall({
      path: GET_SKU,
      body: getSkuBody("no-such-sku"),
      headers: { origin: "http://evil.example" },
    });
    assert.equal(other.headers["access-control-allow-origin"], undefined);
  },
);

test("a body over MAX_REQUEST_BYTES: RESOURCE_EXHAUSTED MESSAGE_TOO_LARGE", bounded, async () => {
  const body = getSkuBody("a".repeat(env.maxRequestBytes + 1024));
  const answer = await grpcWebCall({ path: GET_SKU, body });
  assert.equal(answer.status, 200);
  assert.equal(answer.grpcStatus, RESOURCE_EXHAUSTED, answer.grpcMessage);
  assert.equal(answer.reason, "MESSAGE_TOO_LARGE");

  // Just under the bound is a normal call (the SKU does not exist).
  const fits = await grpcWebCall({
    path: GET_SKU,
    body: getSkuBody("b".repeat(env.maxRequestBytes - 64)),
  });
  assert.notEqual(fits.grpcStatus, RESOURCE_EXHAUSTED, fits.grpcMessage);
});

test("bad frames: INVALID_ARGUMENT BAD_FRAME", bounded, async () => {
  const message = getSkuBody("x").subarray(5);
  const cases = {
    "truncated frame header": Buffer.from([0, 0, 0]),
    "length larger than the body": Buffer.concat([frame(message, 0, 100)]),
    "bytes after the frame": Buffer.concat([frame(message), Buffer.from([1, 2])]),
    "a trailer frame as the request": frame(Buffer.from("grpc-status: 0\r\n"), 0x80),
    "two messages for a unary call": Buffer.concat([frame(message), frame(message)]),
    "empty body": Buffer.alloc(0),
  };
  for (const [name, body] of Object.entries(cases)) {
    const answer = await grpcWebCall({ path: GET_SKU, body });
    assert.equal(answer.status, 200, name);
    assert.equal(
      answer.grpcStatus,
      INVALID_ARGUMENT,
      `${name}: ${answer.grpcStatus} ${answer.grpcMessage}`,
    );
    assert.equal(answer.reason, "BAD_FRAME", name);
  }
});

test("text flavour: garbage base64 is INVALID_ARGUMENT BAD_BASE64", bounded, async () => {
  // Characters outside the alphabet, and a length no base64 can have.
  for (const body of ["!!!!not*base64", "AAAAA"]) {
    const answer = await grpcWebCall({ path: GET_SKU, body, text: true, encode: false });
    assert.equal(
      answer.grpcStatus,
      INVALID_ARGUMENT,
      `${body}: ${answer.grpcStatus} ${answer.grpcMessage}`,
    );
    assert.equal(answer.reason, "BAD_BASE64", body);
  }
});

test("text flavour: padded chunks are accepted and the answer is text", bounded, async () => {
  const admin = await adminToken();
  const sku = await newSku(admin, { stock: 3 });
  const whole = getSkuBody(sku.skuId);
  // A streaming text client encodes each chunk on its own: the 5-byte frame
  // header comes out as "AAAAAA?=" and the message follows, so padding
  // appears in the middle of the body.
  const chunked = whole.subarray(0, 5).toString("base64") + whole.subarray(5).toString("base64");
  assert.match(chunked.slice(0, 8), /=$/, "the first chunk is padded");
  for (const body of [whole.toString("base64"), chunked]) {
    const answer = await grpcWebCall({ path: GET_SKU, body, text: true, encode: false });
    assert.equal(answer.status, 200);
    assert.equal(answer.grpcStatus, OK, answer.grpcMessage);
    assert.ok(answer.isText, `answered as ${answer.headers["content-type"]}`);
    assert.match(answer.body.toString("latin1"), /^[A-Za-z0-9+/=]+$/, "the body is base64");
    assert.equal(answer.trailersOnly, false, "a trailer frame closes the answer");
    assert.equal(fromBinary(SkuSchema, answer.messages[0]).skuId, sku.skuId);
  }
});

test("content types: grpc-web accepted, anything else HTTP 415", bounded, async () => {
  for (const type of [
    "application/grpc-web",
    "application/grpc-web+proto",
    "application/grpc-web+proto; charset=utf-8",
  ]) {
    const answer = await grpcWebCall({
      path: GET_SKU,
      body: getSkuBody("no-such"),
      contentType: type,
    });
    assert.equal(answer.status, 200, type);
    assert.equal(answer.isText, false, type);
    assert.ok(answer.grpcStatus !== undefined, type);
  }
  for (const type of [
    "application/json",
    "text/plain",
    "application/grpc",
    "application/grpc-web+json",
  ]) {
    const answer = await httpRequest({
      method: "POST",
      path: GET_SKU,
      headers: { "content-type": type },
      body: getSkuBody("no-such"),
    });
    assert.equal(answer.status, 415, type);
  }
});

test("methods: anything but POST on a gRPC path is HTTP 405", bounded, async () => {
  for (const method of ["GET", "PUT", "DELETE"]) {
    const answer = await httpRequest({
      method,
      path: GET_SKU,
      headers: { "content-type": "application/grpc-web" },
    });
    assert.equal(answer.status, 405, method);
  }
});

test("static files: index.html and a hashed asset with their headers", bounded, async () => {
  for (const path of ["/", "/index.html"]) {
    const page = await httpRequest({ path });
    assert.equal(page.status, 200, path);
    assert.match(String(page.headers["content-type"]), /^text\/html/, path);
    assert.ok(page.headers["cache-control"], `${path} has Cache-Control`);
  }
  const index = (await httpRequest({ path: "/index.html" })).body.toString();
  const script = /src="\.?\/?(assets\/[^"]+\.js)"/.exec(index)?.[1];
  assert.ok(script, "index.html names its script");
  const js = await httpRequest({ path: `/${script}` });
  assert.equal(js.status, 200);
  assert.match(String(js.headers["content-type"]), /^(application|text)\/javascript/);
  assert.ok(js.headers["cache-control"], "the asset has Cache-Control");
  const head = await httpRequest({ method: "HEAD", path: "/index.html" });
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
  const missing = await httpRequest({ path: "/no-such-file.js" });
  assert.equal(missing.status, 404);
});

test("static files: no path leads out of the static directory", bounded, async () => {
  const passwd = readFileSync("/etc/passwd", "latin1").split("\n")[0];
  const targets = [
    "/../../../../../../etc/passwd",
    "/assets/../../../../../../etc/passwd",
    "/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/%2E%2E%2F%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
    "/assets%2f..%2f..%2f..%2fetc%2fpasswd",
    "/..%5c..%5c..%5cetc%5cpasswd",
    "/.%2e/.%2e/.%2e/etc/passwd",
    `/${env.staticSymlinkName}`,
    `/./${env.staticSymlinkName}`,
    "//etc/passwd",
  ];
  for (const target of targets) {
    const answer = await rawExchange(
      `GET ${target} HTTP/1.1\r\nHost: ${env.gatewayAddress.host}\r\nConnection: close\r\n\r\n`,
    );
    assert.ok([400, 404].includes(answer.status), `${target}: HTTP ${answer.status}`);
    assert.ok(!answer.body.includes(passwd), `${target}: /etc/passwd served`);
    assert.ok(!answer.body.includes("root:"), `${target}: looks like /etc/passwd`);
  }
});
