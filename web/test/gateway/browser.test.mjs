// The gateway from a real browser: Debian's Chromium (headless, through
// playwright-core) opens the test page, which places a pay_now order with
// @connectrpc/connect-web (binary gRPC-web) or with Google's grpc-web
// runtime in text mode (application/grpc-web-text; Node has no
// XMLHttpRequest for it, so the text-mode client is tested here). Same
// origin (the page served by the gateway itself) and cross-origin (the page
// served as ALLOWED_ORIGIN, so Chromium enforces CORS, preflights included).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { clients } from "./lib/clients.mjs";
import { launchChromium, pageUrl, runPage, servePage } from "./lib/browser.mjs";
import { env } from "./lib/env.mjs";
import { newBuyer, newSku } from "./lib/fixtures.mjs";
import { adminToken } from "./lib/tokens.mjs";

// Every test ends by itself, whatever the gateway does.
const bounded = { timeout: 60_000 };

const EVIL_HOST = "evil.example";
let browser;
let pageServer;

before(async () => {
  pageServer = await servePage();
  const allowed = new URL(env.allowedOrigin);
  // Any port of these hosts goes to the page server (--host-resolver-rules).
  browser = await launchChromium({
    [allowed.hostname]: pageServer.port,
    [EVIL_HOST]: pageServer.port,
  });
});

after(async () => {
  await browser?.close();
  await pageServer?.close();
});

const PLACE_ORDER = "/turnstile.v1.Order/PlaceOrder";
const FAILED_PRECONDITION = 9;
const UNAUTHENTICATED = 16;

async function buyerAndSku({ stock = 5 } = {}) {
  const admin = await adminToken();
  const sku = await newSku(admin, { stock, price: 300n });
  const buyer = await newBuyer(admin, { balance: 10_000n });
  return { sku, buyer };
}

function placeOrderCalls(result) {
  return result.calls.filter((call) => call.url.endsWith(PLACE_ORDER));
}

test("connect-web (binary) in Chromium, same origin: PAID", bounded, async () => {
  const { sku, buyer } = await buyerAndSku();
  const result = await runPage(
    browser,
    pageUrl(env.gatewayUrl, { token: buyer.token, sku: sku.skuId, client: "connect" }),
  );
  assert.equal(result.client, "connect");
  assert.equal(result.error, "", result.console.join("\n"));
  assert.equal(result.state, "PAID");
  const [call] = placeOrderCalls(result);
  assert.equal(call.requestType, "application/grpc-web+proto");
  assert.equal(call.status, 200);
  const after = await clients().inventory.getSku({ skuId: sku.skuId });
  assert.equal(after.available, 4n);
});

test("grpc-web text mode in Chromium, same origin: PAID, text both ways", bounded, async () => {
  const { sku, buyer } = await buyerAndSku();
  const result = await runPage(
    browser,
    pageUrl(env.gatewayUrl, { token: buyer.token, sku: sku.skuId, client: "grpc-web-text" }),
  );
  assert.equal(result.error, "", result.console.join("\n"));
  assert.equal(result.state, "PAID");
  const [call] = placeOrderCalls(result);
  assert.equal(call.requestType, "application/grpc-web-text");
  assert.match(call.responseType, /^application\/grpc-web-text/);
});

test("errors in Chromium: both clients read code and ErrorInfo reason", bounded, async () => {
  const { sku, buyer } = await buyerAndSku({ stock: 0 });
  for (const client of ["connect", "grpc-web-text"]) {
    const result = await runPage(
      browser,
      pageUrl(env.gatewayUrl, { token: buyer.token, sku: sku.skuId, client }),
    );
    assert.equal(result.state, "", client);
    assert.equal(
      result.error,
      `${FAILED_PRECONDITION} SOLD_OUT`,
      `${client}: ${result.console.join("\n")}`,
    );
  }
  // An edge error is a trailers-only answer: the status is in HTTP headers.
  for (const client of ["connect", "grpc-web-text"]) {
    const result = await runPage(browser, pageUrl(env.gatewayUrl, { sku: sku.skuId, client }));
    assert.equal(result.error, `${UNAUTHENTICATED} TOKEN_MISSING`, client);
  }
});

test(
  "cross-origin from ALLOWED_ORIGIN: CORS lets both clients through and read errors",
  bounded,
  async () => {
    const { sku, buyer } = await buyerAndSku();
    for (const client of ["connect", "grpc-web-text"]) {
      const result = await runPage(
        browser,
        pageUrl(env.allowedOrigin, {
          token: buyer.token,
          sku: sku.skuId,
          client,
          gateway: env.gatewayUrl,
        }),
      );
      assert.equal(result.error, "", `${client}: ${result.console.join("\n")}`);
      assert.equal(result.state, "PAID", client);
    }
    // Reading grpc-status-details-bin from a trailers-only answer across
    // origins works only because the gateway exposes it.
    for (const client of ["connect", "grpc-web-text"]) {
      const result = await runPage(
        browser,
        pageUrl(env.allowedOrigin, { sku: sku.skuId, client, gateway: env.gatewayUrl }),
      );
      assert.equal(
        result.error,
        `${UNAUTHENTICATED} TOKEN_MISSING`,
        `${client}: ${result.console.join("\n")}`,
      );
    }
  },
);

test(
  "cross-origin from a disallowed origin: the browser refuses, nothing is ordered",
  bounded,
  async () => {
    const { sku, buyer } = await buyerAndSku({ stock: 3 });
    for (const client of ["connect", "grpc-web-text"]) {
      const result = await runPage(
        browser,
        pageUrl(`http://${EVIL_HOST}`, {
          token: buyer.token,
          sku: sku.skuId,
          client,
          gateway: env.gatewayUrl,
        }),
      );
      assert.notEqual(result.state, "PAID", client);
      assert.notEqual(result.error, "", client);
      assert.doesNotMatch(
        result.error,
        /SOLD_OUT|TOKEN_/,
        `${client}: the page read nothing of the gateway's answer`,
      );
    }
    const after = await clients().inventory.getSku({ skuId: sku.skuId });
    assert.equal(after.available, 3n, "the preflight failed, so PlaceOrder was never sent");
  },
);
