// Bounds that protect the gateway: the per-user token bucket (refuses with
// a retry delay, serves again after it) and the header timeout against
// slow clients (slowloris): sockets that never finish their headers are
// cut, and ordinary clients are served meanwhile.
import assert from "node:assert/strict";
import net from "node:net";
import { test } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";

import { GetSkuRequestSchema } from "../../src/gen/turnstile/v1/inventory_pb.js";
import { auth, clients, reasonOf, retryDelayMs } from "./lib/clients.mjs";
import { env } from "./lib/env.mjs";
import { newBuyer, newSku } from "./lib/fixtures.mjs";
import { scrape, total } from "./lib/metrics.mjs";
import { adminToken } from "./lib/tokens.mjs";
import { grpcWebCall, messageFrame } from "./lib/wire.mjs";

// Every test ends by itself, whatever the gateway does.
const bounded = { timeout: 60_000 };

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

test(
  "rate limit: refused past the burst with RetryInfo, served again after the delay",
  bounded,
  async () => {
    assert.equal(
      env.rateLimitedMethod,
      "/turnstile.v1.Payment/GetWallet",
      "this test drives GetWallet",
    );
    const admin = await adminToken();
    const buyer = await newBuyer(admin, { balance: 10n });
    const { payment } = clients();
    const getWallet = () => payment.getWallet({ currency: "EUR" }, auth(buyer.token));

    for (let i = 0; i < env.rateLimitBurst; i++) await getWallet();
    let refusal;
    for (let i = 0; i < 3 && !refusal; i++) {
      try {
        await getWallet();
      } catch (error) {
        refusal = error;
      }
    }
    assert.ok(refusal instanceof ConnectError, "a call past the burst is refused");
    assert.equal(Code[refusal.code], "ResourceExhausted");
    assert.equal(reasonOf(refusal), "RATE_LIMITED");
    const delay = retryDelayMs(refusal);
    assert.ok(delay !== undefined && delay > 0, "RetryInfo with a positive delay");
    assert.ok(
      delay <= (1000 / env.rateLimitRate) * 2 + 100,
      `retry delay ${delay} ms for ${env.rateLimitRate}/s`,
    );

    // The delay is honest: waiting it out (plus a little) is enough.
    await sleep(delay + 150);
    const wallet = await getWallet();
    assert.equal(wallet.userId, buyer.userId);

    // Another user's bucket was never touched.
    const other = await newBuyer(admin, { balance: 10n });
    await payment.getWallet({ currency: "EUR" }, auth(other.token));
  },
);

/**
 * Opens a socket from `localAddress` that sends `prefix` (an unfinished
 * request) and then, if `dripMs`, one more header byte every dripMs
 * without ever ending the headers. Resolves the socket's record once
 * connected; `closed` resolves with the milliseconds from connect to close.
 */
function slowSocket({ localAddress, prefix, dripMs }) {
  const { host, port } = env.gatewayAddress;
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, localAddress });
    let opened = 0;
    let drip;
    const closed = new Promise((done) => {
      socket.on("close", () => {
        clearInterval(drip);
        done(performance.now() - opened);
      });
    });
    socket.on("error", () => {}); // a reset is one way of being closed
    socket.on("data", () => {}); // a 408/431 before closing is fine
    socket.once("connect", () => {
      opened = performance.now();
      socket.write(prefix);
      if (dripMs) drip = setInterval(() => socket.write("x"), dripMs);
      resolve({ socket, closed });
    });
    socket.once("error", reject);
  });
}

test(
  "slow clients: 200 unfinished requests are cut at the header timeout; others are served meanwhile",
  bounded,
  async () => {
    const admin = await adminToken();
    const sku = await newSku(admin, { stock: 1 });
    const headerTimeout = env.headerTimeoutMs;
    const slack = 1500;

    // The slow sockets come from 127.0.0.3 and the ordinary client from
    // 127.0.0.2 (both loopback), so that a per-IP connection bound refusing
    // the attacker cannot be mistaken for the gateway failing everyone.
    const attacker = "127.0.0.3";
    const prefixes = [
      "POST /turnstile.v1.Inventory/GetSku HTTP/1.1\r\nHost: gateway\r\nContent-Type: applica",
      "GET /index.ht",
      "GET /index.html HTTP/1.1\r\nHost: gateway\r\n",
    ];
    const sockets = [];
    for (let i = 0; i < 200; i++) {
      sockets.push(
        await slowSocket({
          localAddress: attacker,
          prefix: prefixes[i % prefixes.length],
          // A tenth drip a byte every 300 ms: the timeout bounds the whole
          // header, it is not an idle timer that each byte resets.
          dripMs: i % 10 === 0 ? 300 : 0,
        }),
      );
    }

    const openGauge = async () =>
      total(await scrape(env.gatewayMetricsUrl), "turnstile_gateway_open_connections");

    // While they hang, an ordinary client is served at once, several times.
    for (let i = 0; i < 5; i++) {
      const answer = await grpcWebCall({
        path: "/turnstile.v1.Inventory/GetSku",
        body: messageFrame(GetSkuRequestSchema, { skuId: sku.skuId }),
        localAddress: "127.0.0.2",
      });
      assert.equal(answer.grpcStatus, 0, answer.grpcMessage);
      assert.ok(answer.ms < 1000, `served in ${answer.ms} ms with 200 slow sockets open`);
    }
    const page = await fetch(`${env.gatewayUrl}/index.html`);
    assert.equal(page.status, 200);

    // Every slow socket is closed by the gateway within the header timeout
    // (sooner if a connection bound refused it).
    const limit = headerTimeout + slack;
    const durations = await Promise.all(
      sockets.map(({ socket, closed }) =>
        Promise.race([
          closed,
          sleep(limit + 2000).then(() => {
            socket.destroy();
            return Infinity;
          }),
        ]),
      ),
    );
    const late = durations.filter((ms) => ms > limit);
    assert.equal(
      late.length,
      0,
      `${late.length} of 200 slow sockets outlived ${limit} ms (longest ${Math.max(...durations)} ms)`,
    );

    // And the gateway no longer counts them as open.
    let open = Infinity;
    for (let i = 0; i < 10 && open > 5; i++) {
      open = await openGauge();
      if (open > 5) await sleep(200);
    }
    assert.ok(open <= 5, `turnstile_gateway_open_connections ${open} after the slow sockets went`);
  },
);
