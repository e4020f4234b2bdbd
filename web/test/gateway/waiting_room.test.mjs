// The flash-sale waiting room from Node over gRPC-web, with the generated
// clients and @connectrpc/connect-web as the UI uses them: buyers sign in
// through the dev endpoint (POST /dev/token, on under the launcher), join a
// queued SKU, see their places in join order, are admitted at the
// configured rate with a pass, and order with it in x-turnstile-pass; a
// direct PlaceOrder without (or with another's) pass is refused
// FAILED_PRECONDITION NOT_ADMITTED; a place lapses when its holder stops
// asking for QUEUE_PLACE_TTL_S; and a page may send the pass header (CORS).
import assert from "node:assert/strict";
import { test } from "node:test";
import { createClient, Code } from "@connectrpc/connect";

import { OrderState } from "../../src/gen/turnstile/v1/order_pb.js";
import { WaitingRoom } from "../../src/gen/turnstile/v1/waiting_room_pb.js";
import { clients, expectConnectError, gatewayTransport } from "./lib/clients.mjs";
import { env } from "./lib/env.mjs";
import { deposit, newSku, payNowRequest } from "./lib/fixtures.mjs";
import { uniqueId } from "./lib/tokens.mjs";
import { httpRequest } from "./lib/wire.mjs";

const bounded = { timeout: 60_000 };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A token from the gateway's dev sign-in: {"user", "admin"} -> {"token", "expires_at"}. */
async function devToken(user, admin = false) {
  const res = await fetch(env.devTokenUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ user, admin }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  const body = await res.json();
  assert.deepEqual(Object.keys(body).sort(), ["expires_at", "token"]);
  assert.ok(body.expires_at > Date.now() / 1000 + 3000, "valid for about an hour");
  return body.token;
}

/** Call options with the bearer token and, if given, the waiting-room pass. */
function withPass(token, pass) {
  const headers = { authorization: `Bearer ${token}` };
  if (pass) headers["x-turnstile-pass"] = pass;
  return { headers };
}

const room = () => createClient(WaitingRoom, gatewayTransport());

test(
  "buyers are placed in join order, admitted at the rate, and order with their pass",
  bounded,
  async () => {
    const admin = await devToken(uniqueId("ops"), true);
    const sku = await newSku(admin, { stock: 10, price: 100n });
    const product = { skuId: sku.skuId };
    const waitingRoom = room();
    const { order } = clients();

    const configured = await waitingRoom.configureQueue(
      { product, enabled: true, admitPerSecond: 1, passTtlSeconds: 60 },
      withPass(admin),
    );
    const start = performance.now();
    assert.equal(configured.enabled, true);
    assert.equal(configured.admitPerSecond, 1);

    const buyers = [];
    for (let i = 0; i < 3; i++) {
      const userId = uniqueId(`wr${i}`);
      await deposit(admin, userId, 10_000n);
      buyers.push({ userId, token: await devToken(userId) });
    }
    const first = [];
    for (const b of buyers) first.push(await waitingRoom.joinQueue({ product }, withPass(b.token)));
    assert.deepEqual(
      first.map((t) => Number(t.position)),
      [1, 2, 3],
    );
    assert.ok(first.every((t) => !t.admitted && t.pass === ""));
    const eta3 = Number(first[2].estimatedWaitMs);
    assert.ok(eta3 > 2000 && eta3 <= 3000, `third buyer's ETA ${eta3} ms at 1 per second`);
    // Joining again is the same place.
    const again = await waitingRoom.joinQueue({ product }, withPass(buyers[1].token));
    assert.equal(Number(again.position), 2);
    assert.equal(again.joinedAt.seconds, first[1].joinedAt.seconds);
    assert.equal(again.joinedAt.nanos, first[1].joinedAt.nanos);

    // Anyone may read the queue.
    const q = await waitingRoom.getQueue({ product });
    assert.equal(q.enabled, true);
    assert.equal(Number(q.waiting), 3);

    // Admission times, polled every 150 ms.
    const admittedAt = [undefined, undefined, undefined];
    const passes = [];
    const positions = [[], [], []];
    while (admittedAt.includes(undefined) && performance.now() - start < 8_000) {
      await sleep(150);
      for (let i = 0; i < 3; i++) {
        if (admittedAt[i] !== undefined) continue;
        const t = await waitingRoom.getTicket({ product }, withPass(buyers[i].token));
        if (t.admitted) {
          admittedAt[i] = (performance.now() - start) / 1000;
          passes[i] = t.pass;
          assert.ok(t.pass.startsWith("tsp1."));
          assert.ok(Number(t.passExpiresAt.seconds) * 1000 > Date.now() + 50_000);
        } else {
          positions[i].push(Number(t.position));
        }
      }
    }
    assert.ok(!admittedAt.includes(undefined), `admitted at ${admittedAt}`);
    // In join order, one per second (give or take the polling and calls).
    assert.ok(admittedAt[0] > 0.7 && admittedAt[0] < 1.6, `first at ${admittedAt[0]} s`);
    for (const i of [1, 2]) {
      const gap = admittedAt[i] - admittedAt[i - 1];
      assert.ok(gap > 0.6 && gap < 1.6, `gap ${gap} s before buyer ${i}`);
    }
    // The last buyer saw their place move up: 3, then 2, then 1.
    assert.deepEqual([...new Set(positions[2])], [3, 2, 1]);

    // A direct call without a pass, or with another buyer's, is refused
    // before the order service; the buyer's own pass goes through.
    const stranger = uniqueId("nopass");
    const strangerToken = await devToken(stranger);
    await expectConnectError(
      order.placeOrder(payNowRequest(sku.skuId), withPass(strangerToken)),
      Code.FailedPrecondition,
      "NOT_ADMITTED",
    );
    await expectConnectError(
      order.placeOrder(payNowRequest(sku.skuId), withPass(buyers[0].token, passes[1])),
      Code.FailedPrecondition,
      "NOT_ADMITTED",
    );
    for (let i = 0; i < 3; i++) {
      const placed = await order.placeOrder(
        payNowRequest(sku.skuId),
        withPass(buyers[i].token, passes[i]),
      );
      assert.equal(OrderState[placed.order.state], "PAID");
      assert.equal(placed.order.userId, buyers[i].userId);
    }
    const after = await waitingRoom.getQueue({ product });
    assert.equal(Number(after.waiting), 0);
    assert.equal(Number(after.admitted), 3);
  },
);

test("a place lapses when its holder stops asking", bounded, async () => {
  const admin = await devToken(uniqueId("ops"), true);
  const product = { skuId: uniqueId("wr-lapse") };
  const waitingRoom = room();
  await waitingRoom.configureQueue(
    { product, enabled: true, admitPerSecond: 0.1 },
    withPass(admin),
  );
  const gone = await devToken(uniqueId("gone"));
  const kept = await devToken(uniqueId("kept"));
  assert.equal(Number((await waitingRoom.joinQueue({ product }, withPass(gone))).position), 1);
  assert.equal(Number((await waitingRoom.joinQueue({ product }, withPass(kept))).position), 2);
  const until = performance.now() + (env.queuePlaceTtlS + 1.5) * 1000;
  while (performance.now() < until) {
    await sleep(1_000);
    await waitingRoom.getTicket({ product }, withPass(kept));
  }
  await expectConnectError(
    waitingRoom.getTicket({ product }, withPass(gone)),
    Code.NotFound,
    "NOT_IN_QUEUE",
  );
  assert.equal(Number((await waitingRoom.getTicket({ product }, withPass(kept))).position), 1);
});

test("buyers cannot configure queues, and unqueued products need no pass", bounded, async () => {
  const admin = await devToken(uniqueId("ops"), true);
  const buyer = uniqueId("plain");
  await deposit(admin, buyer, 10_000n);
  const token = await devToken(buyer);
  const sku = await newSku(admin, { stock: 3 });
  const waitingRoom = room();
  await expectConnectError(
    waitingRoom.configureQueue(
      { product: { skuId: sku.skuId }, enabled: true, admitPerSecond: 1 },
      withPass(token),
    ),
    Code.PermissionDenied,
  );
  await expectConnectError(
    waitingRoom.joinQueue({ product: { skuId: sku.skuId } }, withPass(token)),
    Code.FailedPrecondition,
    "NOT_QUEUED",
  );
  const placed = await clients().order.placeOrder(payNowRequest(sku.skuId), withPass(token));
  assert.equal(OrderState[placed.order.state], "PAID");
});

test(
  "a page may send x-turnstile-pass (CORS), and a foreign page gets no dev token",
  bounded,
  async () => {
    const preflight = await httpRequest({
      method: "OPTIONS",
      path: "/turnstile.v1.Order/PlaceOrder",
      headers: {
        origin: env.allowedOrigin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization,content-type,x-grpc-web,x-turnstile-pass",
      },
    });
    assert.equal(preflight.status, 204);
    const allowed = String(preflight.headers["access-control-allow-headers"] ?? "")
      .split(",")
      .map((s) => s.trim().toLowerCase());
    assert.ok(allowed.includes("x-turnstile-pass"), `allow-headers: ${allowed}`);
    const foreign = await fetch(env.devTokenUrl, {
      method: "POST",
      headers: { "content-type": "application/json", origin: "https://evil.example" },
      body: JSON.stringify({ user: "mallory", admin: true }),
    });
    assert.equal(foreign.status, 403);
    assert.ok(!(await foreign.text()).includes("token"));
  },
);
