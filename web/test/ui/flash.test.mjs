// The flash-sale page in Chromium against the real mesh and the gateway's
// waiting room (issue 11, test 3): an operator queues a SKU at a set rate,
// three buyers join in order and see places 1, 2, 3, are admitted in that
// order no faster than the rate (and not much slower), and buy with their
// passes, while a direct gRPC-web PlaceOrder without a pass (or with
// another buyer's) is refused NOT_ADMITTED. Then: a pass that runs out on
// its countdown sends the buyer back to the queue (and a removed queue lets
// anyone buy), a full queue is said with its retry time, and a SKU without
// a waiting room is bought straight away, its refusals in words.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Code } from "@connectrpc/connect";

import { ErrorInfoSchema } from "../../src/gen/google/rpc/error_details_pb.js";
import { auth, clients, expectConnectError } from "../gateway/lib/clients.mjs";
import { newBuyer, newSku } from "../gateway/lib/fixtures.mjs";
import { adminToken } from "../gateway/lib/tokens.mjs";
import { buyerContext, launchChromium, openApp, waitForText } from "./lib/app.mjs";
import { admittedTicket, placeWithPass, queueSku, waitingRoom } from "./lib/queue.mjs";

// Admissions per second of the sale: one every 4 s, slow enough for three
// buyers to join before the first of them is let in.
const RATE = 0.25;
const INTERVAL_MS = 1000 / RATE;
// An admission is due INTERVAL_MS after the one before (never sooner: the
// credit is capped at one admission); the gateway admits lazily, on the next
// call that finds the credit, and the head's page asks just after it is due.
const EARLY_MS = 250;
const LATE_MS = 1500;
const PASS_TTL_S = 60;

let browser;
let admin;

/** ErrorInfo.metadata.why of a NOT_ADMITTED refusal. */
const whyOf = (error) => error.findDetails(ErrorInfoSchema)[0]?.metadata?.why;

before(async () => {
  admin = await adminToken();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

async function withContexts(buyers, body) {
  const sessions = await Promise.all(buyers.map((b) => buyerContext(browser, b)));
  try {
    await body(sessions.map((s) => s.context));
  } catch (error) {
    error.message += `\nconsole:\n${sessions.flatMap((s) => s.log).join("\n")}`;
    throw error;
  } finally {
    await Promise.all(sessions.map((s) => s.context.close()));
  }
}

const view = (page, kind) =>
  page.waitForSelector(`#flash[data-view="${kind}"]`, { timeout: 20_000 });

test("three buyers join in order, are admitted at the queue's rate and buy; no pass is refused", async (t) => {
  const sku = await newSku(admin, { stock: 10, price: 500n });
  const skuId = sku.skuId;
  await queueSku(admin, skuId, { rate: RATE, passTtlSeconds: PASS_TTL_S });
  const [first, ...buyers] = await Promise.all(
    Array.from({ length: 5 }, () => newBuyer(admin, { balance: 10_000n })),
  );
  const outsider = buyers.pop();

  await withContexts(buyers, async (contexts) => {
    const pages = await Promise.all(contexts.map((c) => openApp(c, `/flash/${skuId}`)));
    for (const page of pages) {
      await view(page, "join");
      await waitForText(page.locator("#sku-about"), /^€5\.00 each · 10 left$/);
      assert.equal(await page.locator("#buy").isVisible(), false, "no Buy before admission");
    }
    // Someone was first: admitted on the queue's idle credit (or after one
    // interval), so the three below wait behind a fresh interval.
    const early = await admittedTicket(first, skuId);
    const admittedAt = [early.passExpiresAtMs - PASS_TTL_S * 1000];

    // They join in order and see places 1, 2, 3 with growing waits.
    const waits = [];
    for (const [i, page] of pages.entries()) {
      await page.click("#join");
      await page.waitForSelector(`#flash[data-view="waiting"][data-position="${i + 1}"]`, {
        timeout: 5_000,
      });
      const status = await page.locator("#queue-status").textContent();
      assert.match(
        status,
        i === 0
          ? /^You are next in line\. Estimated wait: /
          : new RegExp(`^You are number ${i + 1} in line\\.`),
      );
      waits.push(status);
    }
    // Each is admitted in turn: the page shows Buy and the pass's countdown.
    const shownAt = [];
    for (const page of pages) {
      await view(page, "admitted");
      shownAt.push(Date.now());
      assert.ok(await page.locator("#buy").isVisible());
      const countdown = page.locator("#pass-countdown");
      const expiresAt = Number(await countdown.getAttribute("data-expires-at"));
      admittedAt.push(expiresAt - PASS_TTL_S * 1000);
      const [m, s] = ((await countdown.textContent()) ?? "").split(":").map(Number);
      assert.ok(m * 60 + s <= PASS_TTL_S && m * 60 + s >= PASS_TTL_S - 20, `countdown ${m}:${s}`);
      assert.equal(await page.locator("#join").isVisible(), false);
    }
    const gaps = admittedAt.slice(1).map((at, i) => at - admittedAt[i]);
    t.diagnostic(`admission gaps ${gaps.join(", ")} ms (rate ${RATE}/s: ${INTERVAL_MS} ms)`);
    for (const gap of gaps) {
      assert.ok(
        gap >= INTERVAL_MS - EARLY_MS && gap <= INTERVAL_MS + LATE_MS,
        `admission gaps ${JSON.stringify(gaps)} ms, wanted ${INTERVAL_MS} ms each (waits: ${waits.join(" | ")})`,
      );
    }
    // Admitted in join order, and the page noticed within a couple of polls.
    for (const [i, at] of shownAt.entries()) {
      assert.ok(
        at - admittedAt[i + 1] < 3_000,
        `page ${i} showed Buy ${at - admittedAt[i + 1]} ms late`,
      );
    }

    // A direct gRPC-web call: without a pass, and with someone else's.
    const noPass = await expectConnectError(
      placeWithPass(outsider, skuId),
      Code.FailedPrecondition,
      "NOT_ADMITTED",
    );
    assert.equal(whyOf(noPass), "NO_PASS");
    // A pass binds its buyer: someone else's counts as none.
    const stolen = await expectConnectError(
      placeWithPass(outsider, skuId, early.pass),
      Code.FailedPrecondition,
      "NOT_ADMITTED",
    );
    assert.equal(whyOf(stolen), "NO_PASS");
    // The first buyer's own pass works for a direct call too.
    const placed = await placeWithPass(first, skuId, early.pass);
    assert.equal(placed.order.state, 3 /* PAID */);

    // The three buy on their pages.
    for (const page of pages) {
      await page.click("#buy");
      await waitForText(
        page.locator("#order-result, #order-error").filter({ hasText: /\S/ }).first(),
        /^Paid: €5\.00\./,
      );
    }
    const after = await clients().inventory.getSku({ skuId });
    assert.equal(after.sold + after.locked, 4n);
    await waitForText(pages[0].locator("#sku-about"), /^€5\.00 each · 6 left$/);
  });
});

test("a pass runs out on its countdown: the buyer is sent back to the queue, the old pass is refused", async () => {
  const sku = await newSku(admin, { stock: 5, price: 300n });
  const skuId = sku.skuId;
  await queueSku(admin, skuId, { rate: 20, passTtlSeconds: 5 });
  const buyer = await newBuyer(admin);
  await withContexts([buyer], async ([context]) => {
    const page = await openApp(context, `/flash/${skuId}`);
    await view(page, "join");
    await page.click("#join");
    await view(page, "admitted");
    const countdown = page.locator("#pass-countdown");
    const [m, s] = ((await countdown.textContent()) ?? "").split(":").map(Number);
    assert.ok(m === 0 && s >= 1 && s <= 5, `countdown started at ${m}:${s}`);
    // The same buyer from Node holds the same pass (JoinQueue is idempotent).
    const ticket = await admittedTicket(buyer, skuId);
    await view(page, "expired");
    await waitForText(page.locator("#queue-status"), /^Your pass has expired/);
    assert.equal(await page.locator("#buy").isVisible(), false);
    assert.equal(await page.locator("#join").textContent(), "Join again");
    const expired = await expectConnectError(
      placeWithPass(buyer, skuId, ticket.pass),
      Code.FailedPrecondition,
      "NOT_ADMITTED",
    );
    assert.equal(whyOf(expired), "EXPIRED");
    // Back in line: admitted again (the queue is idle) with a new pass, and buys.
    await page.click("#join");
    await view(page, "admitted");
    await page.click("#buy");
    await waitForText(
      page.locator("#order-result, #order-error").filter({ hasText: /\S/ }).first(),
      /^Paid: €3\.00\./,
    );
    // The operator removes the waiting room: the page lets anyone buy.
    await waitingRoom().configureQueue({ product: { skuId }, enabled: false }, auth(admin));
    await view(page, "open");
    assert.equal(await page.locator("#pass-left").isVisible(), false);
  });
});

test("a full waiting room is said in words with the time to try again", async () => {
  const sku = await newSku(admin, { stock: 5 });
  const skuId = sku.skuId;
  // One place, one admission every 10 s: the first buyer fills the line.
  await queueSku(admin, skuId, { rate: 0.1, maxLength: 1 });
  const [ahead, buyer] = await Promise.all([newBuyer(admin), newBuyer(admin)]);
  const ticket = await waitingRoom().joinQueue({ product: { skuId } }, auth(ahead.token));
  assert.equal(ticket.admitted, false);
  await withContexts([buyer], async ([context]) => {
    const page = await openApp(context, `/flash/${skuId}`);
    await view(page, "join");
    await waitForText(page.locator("#queue-about"), /; 1 waiting now\.$/);
    await page.click("#join");
    await waitForText(
      page.locator("#queue-error"),
      /^The waiting room is full: too many buyers are waiting\. Try again in \d+ s\.$/,
    );
    await view(page, "join");
    assert.equal(await page.locator("#join").isEnabled(), true);
  });
});

test("a SKU without a waiting room is bought straight away; sold out and no money are said in words", async () => {
  const sku = await newSku(admin, { stock: 1, price: 700n });
  const skuId = sku.skuId;
  const [rich, poor] = await Promise.all([newBuyer(admin), newBuyer(admin, { balance: 100n })]);
  await withContexts([rich, poor], async ([richContext, poorContext]) => {
    const poorPage = await openApp(poorContext, `/flash/${skuId}`);
    await view(poorPage, "open");
    await waitForText(poorPage.locator("#queue-status"), /^No waiting room/);
    assert.equal(await poorPage.locator("#join").isVisible(), false);
    await poorPage.click("#buy");
    await waitForText(poorPage.locator("#order-error"), /^Insufficient funds/);

    const page = await openApp(richContext, `/flash/${skuId}`);
    await view(page, "open");
    await page.click("#buy");
    await waitForText(page.locator("#order-result"), /^Paid: €7\.00\./);
    await waitForText(page.locator("#sku-about"), /^€7\.00 each · sold out$/);
    await page.click("#buy");
    await waitForText(page.locator("#order-error"), /^Sold out/);
  });
  // The unqueued SKU needs no pass from a direct call either.
  const other = await newSku(admin, { stock: 1 });
  const placed = await placeWithPass(rich, other.skuId);
  assert.equal(placed.order.state, 3 /* PAID */);
});
