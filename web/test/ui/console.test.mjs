// The operator console in Chromium against the real mesh (issue 11, test
// 6). A buyer's pay_now order is decided; payment is killed before its
// Confirm arrives (the runner gives the coordinator a 4-second pause after
// each decision, tests/CMakeLists.txt), so the transaction is stuck
// CONFIRMING with the payment branch failing. The console shows it at a
// glance (the stuck count, the chart's TurnstileBranchesStuck rule firing),
// in the stuck-filtered list, and on its own page with the payment branch's
// attempts, last error and a next attempt an hour away (the runner's
// backoff). Payment comes back; nothing happens until "Retry now", which
// makes it CONFIRMED at once. A second test shows the console's refusals
// and the catalogue forms in words.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { TxnState } from "../../src/gen/turnstile/v1/coordinator_pb.js";
import { auth, clients } from "../gateway/lib/clients.mjs";
import { newBuyer, newSku, payNowRequest } from "../gateway/lib/fixtures.mjs";
import { adminToken, uniqueId } from "../gateway/lib/tokens.mjs";
import { buyerContext, launchChromium, openApp, waitForText } from "./lib/app.mjs";
import { controlService } from "./lib/control.mjs";

let browser;
let admin;
let operator;

before(async () => {
  const sub = uniqueId("operator");
  admin = await adminToken(sub);
  operator = { userId: sub, token: admin, admin: true };
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `fn` until it returns something truthy; returns that. */
async function eventually(fn, what, { timeout = 20_000, every = 50 } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await sleep(every);
  }
}

/** The payment branch row's facts as the page shows them. */
async function paymentRow(page) {
  const row = page.locator('#branches tr[data-branch="payment"]');
  return {
    state: await row.getAttribute("data-state"),
    attempts: Number(await row.getAttribute("data-attempts")),
    nextAttemptMs: Number((await row.getAttribute("data-next-attempt-ms")) || 0),
    error: ((await row.locator(".branch-error").textContent()) ?? "").trim(),
  };
}

test("a pay_now order stuck on a stopped payment service: seen in the console, retried to CONFIRMED", async () => {
  const { order, coordinator } = clients();
  const sku = await newSku(admin, { stock: 5, price: 700n });
  const buyer = await newBuyer(admin);
  const request = payNowRequest(sku.skuId);
  const requestId = `${buyer.userId}/${request.requestId}`;

  // 1. The order is decided (CONFIRMING); payment dies before its Confirm.
  const placing = order
    .placeOrder(request, auth(buyer.token, { timeoutMs: 30_000 }))
    .catch((error) => error);
  const gid = await eventually(
    async () => {
      const page = await coordinator.listTransactions(
        { state: TxnState.CONFIRMING, participant: "payment", pageSize: 20 },
        auth(admin),
      );
      return page.transactions.find((t) => t.requestId === requestId)?.gid;
    },
    "the order's transaction is CONFIRMING",
    { timeout: 15_000 },
  );
  await controlService("kill", "payment");
  const decided = await coordinator.getTransaction({ gid }, auth(admin));
  const payBranch = decided.branches.find((b) => b.branchId === "payment");
  assert.equal(payBranch?.attempts, 0, "payment was killed before its first Confirm");

  const { context, log } = await buyerContext(browser, operator);
  try {
    // 2. At a glance: one stuck branch, its alert rule would fire; the
    // stuck filter lists the transaction.
    const page = await openApp(context, "/ops?participant=payment&stuck=1");
    await waitForText(page.locator("#stat-stuck .stat-value"), /^1$/, { timeout: 30_000 });
    await eventually(
      async () =>
        (await page
          .locator('#alerts tr[data-alert="TurnstileBranchesStuck"]')
          .getAttribute("data-status")) === "firing",
      "TurnstileBranchesStuck shown firing",
    );
    assert.match(
      await page.locator('#alerts tr[data-alert="TurnstileBranchesStuck"]').innerText(),
      /Would fire once this holds for 2m: 1 branch is stuck/,
    );
    assert.equal(await page.locator("#f-stuck").isChecked(), true);
    const listed = page.locator(`#txn-list tr[data-gid="${gid}"]`);
    await eventually(
      async () => {
        if ((await listed.count()) > 0) return true;
        await page.click("#filters button[type=submit]"); // read the list again
        return false;
      },
      "the stuck transaction in the stuck-filtered list",
      { every: 1000 },
    );
    assert.equal(await listed.getAttribute("data-state"), "CONFIRMING");

    // 3. Its page: the payment branch's attempts, last error, and a next
    // attempt far away (the runner's one-hour backoff).
    await listed.locator("a").click();
    await waitForText(page.locator("#txn-state"), /^CONFIRMING$/);
    let payment = await eventually(async () => {
      const row = await paymentRow(page).catch(() => undefined);
      return row && row.attempts >= 1 && row.error !== "—" ? row : undefined;
    }, "a failed payment delivery on the page");
    // Full jitter may, rarely, pick a short delay: then wait for that attempt
    // (it fails too, payment is down) and look again.
    for (let i = 0; i < 3 && payment.nextAttemptMs < Date.now() + 120_000; i++) {
      const seen = payment.attempts;
      payment = await eventually(
        async () => {
          const row = await paymentRow(page);
          return row.attempts > seen ? row : undefined;
        },
        "the next payment attempt",
        { timeout: 150_000, every: 500 },
      );
    }
    assert.equal(payment.state, "REGISTERED");
    assert.ok(payment.attempts >= 1);
    assert.notEqual(payment.error, "—");
    assert.ok(
      payment.nextAttemptMs > Date.now() + 120_000,
      `next attempt ${new Date(payment.nextAttemptMs).toISOString()} is far away`,
    );
    assert.equal(
      await page.locator('#branches tr[data-branch="order"]').getAttribute("data-state"),
      "CONFIRMED",
    );
    await waitForText(page.locator("#txn-order"), new RegExp(`Order of ${buyer.userId}`));

    // 4. Payment is back; the backoff still holds the transaction.
    await controlService("start", "payment");
    await sleep(3000);
    const waiting = await coordinator.getTransaction({ gid }, auth(admin));
    assert.equal(TxnState[waiting.state], "CONFIRMING", "nothing retries before the backoff");
    payment = await paymentRow(page);
    const backoffLeftMs = payment.nextAttemptMs - Date.now();
    assert.ok(backoffLeftMs > 100_000, `backoff left: ${backoffLeftMs} ms`);

    // 5. Retry now: CONFIRMED long before the backoff would have ended.
    const clicked = Date.now();
    await page.click("#retry-now");
    await waitForText(page.locator("#retry-status"), /^Retry requested/);
    await waitForText(page.locator("#txn-state"), /^CONFIRMED$/, { timeout: 20_000 });
    const tookMs = Date.now() - clicked;
    assert.ok(tookMs < backoffLeftMs / 4, `CONFIRMED after ${tookMs} ms of ${backoffLeftMs} ms`);
    assert.equal((await paymentRow(page)).state, "CONFIRMED");
    await waitForText(page.locator("#txn-order .order-state"), /^PAID$/);
    assert.equal(await page.locator("#retry-now").isDisabled(), true);

    // 6. The console's glance drains back to zero.
    await page.goto(page.url().replace(/#.*$/, "#/ops"));
    await waitForText(page.locator("#stat-stuck .stat-value"), /^0$/, { timeout: 30_000 });
    assert.equal(
      await page
        .locator('#alerts tr[data-alert="TurnstileBranchesStuck"]')
        .getAttribute("data-status"),
      "ok",
    );
    await placing; // the buyer's call: answered (or timed out) by now
  } catch (error) {
    error.message += `\nconsole:\n${log.join("\n")}`;
    throw error;
  } finally {
    await context.close();
  }
});

test("the console's refusals and catalogue forms in words", async () => {
  const buyer = await newBuyer(admin);
  const asBuyer = await buyerContext(browser, buyer);
  const asOperator = await buyerContext(browser, operator);
  try {
    // A buyer has no console (and no menu entry for it).
    const buyerPage = await openApp(asBuyer.context, "/ops");
    await waitForText(page0(buyerPage), /needs an operator sign-in/);
    assert.equal(await buyerPage.locator('#nav a[href="#/ops"]').count(), 0);

    const page = await openApp(asOperator.context, "/txn/01900000-0000-7000-8000-000000000000");
    await waitForText(page.locator("#txn-error"), /^Not found\.$/);
    assert.equal(await page.locator('#nav a[href="#/ops"]').count(), 1);

    // Filters refused in words.
    await page.goto(page.url().replace(/#.*$/, "#/ops"));
    await page.fill("#f-age", "ten minutes");
    await page.click("#filters button[type=submit]");
    await waitForText(page.locator("#filter-error"), /^Minimum age: a whole number of seconds/);

    // The catalogue: a SKU created, then refused as a duplicate, a typing
    // slip caught, a service's refusal of bad input, and a reconcile.
    await page.goto(page.url().replace(/#.*$/, "#/catalogue"));
    const skuId = uniqueId("console-sku");
    await page.fill("#sku-id", skuId);
    await page.fill("#sku-name", "Console tee");
    await page.fill("#sku-price", "12.50");
    await page.click("#create-sku button[type=submit]");
    await waitForText(page.locator("#create-sku-result"), new RegExp(`^Created SKU ${skuId} `));
    await page.click("#create-sku button[type=submit]");
    await waitForText(
      page.locator("#create-sku-result"),
      /^A product with this id already exists\.$/,
    );
    await page.fill("#sku-price", "12,50");
    await page.click("#create-sku button[type=submit]");
    await waitForText(page.locator("#create-sku-result"), /^Price: a number like 12\.50\.$/);
    await page.fill("#sku-price", "1");
    await page.fill("#sku-id", "no spaces allowed");
    await page.click("#create-sku button[type=submit]");
    await waitForText(
      page.locator("#create-sku-result"),
      /^Some of what you entered is not valid\. The service says: /,
    );
    assert.equal(await page.locator("#create-sku-result").getAttribute("data-outcome"), "refused");
    await page.fill("#reconcile-id", skuId);
    await page.click("#reconcile button[type=submit]");
    await waitForText(page.locator("#reconcile-result"), /^1 SKU\(s\) checked; /);
    // An event, then its reconcile.
    const eventId = uniqueId("console-ev");
    await page.fill("#event-id", eventId);
    await page.fill("#event-name", "Console gig");
    await page.fill("#event-starts", "2031-06-01 20:00");
    await page.click("#create-event button[type=submit]");
    await waitForText(
      page.locator("#create-event-result"),
      new RegExp(`^Created event ${eventId}`),
    );
    await page.selectOption("#reconcile-kind", "event");
    await page.fill("#reconcile-id", eventId);
    await page.click("#reconcile button[type=submit]");
    await waitForText(page.locator("#reconcile-result"), /^1 event\(s\) checked; /);
  } catch (error) {
    error.message += `\nconsole:\n${asOperator.log.join("\n")}\n${asBuyer.log.join("\n")}`;
    throw error;
  } finally {
    await asBuyer.context.close();
    await asOperator.context.close();
  }
});

function page0(page) {
  return page.locator("#console-error");
}
