// Accessibility (issue 11, test 7): axe-core finds no serious or critical
// violation on any page of the UI, each opened with real data from the mesh
// (a seat map with a chosen seat, a venue with a machine's windows, a run
// with its stop matrix, a reserved order with its countdown, the wallet, a
// flash sale's waiting room: waiting in line, then admitted with the pass's
// countdown), on the sign-in page, whose dev form is used once against the
// gateway's real /dev/token, and on the operator console's pages (the
// summary with the alert rules and the transactions list, one transaction
// with its branches and order, the catalogue forms with a refusal shown).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { auth, clients } from "../gateway/lib/clients.mjs";
import { newBuyer, newSku } from "../gateway/lib/fixtures.mjs";
import { adminToken, uniqueId } from "../gateway/lib/tokens.mjs";
import { newEvent, newRun, newVenue, tomorrow } from "./lib/catalogue.mjs";
import {
  buyerContext,
  launchChromium,
  openApp,
  seriousViolations,
  waitForText,
} from "./lib/app.mjs";
import { admittedTicket, queueSku } from "./lib/queue.mjs";

let browser;
let admin;
let buyer;
let ids;

before(async () => {
  admin = await adminToken();
  buyer = await newBuyer(admin);
  const [eventId, venueId, runId, sku] = await Promise.all([
    newEvent(admin),
    newVenue(admin),
    newRun(admin),
    newSku(admin, { stock: 5, price: 450n }),
  ]);
  ids = { eventId, venueId, runId, skuId: sku.skuId };
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

async function check(page, what) {
  const violations = await seriousViolations(page);
  assert.deepEqual(violations, [], `${what}: ${violations.join("\n")}`);
}

test("no serious or critical axe violation on any page", async () => {
  const { context, log } = await buyerContext(browser, buyer);
  try {
    const page = await openApp(context, "/");
    await page.locator("h1").waitFor();
    await check(page, "home");

    for (const [route, what] of [
      ["/event", "event id form"],
      ["/netcafe", "venue id form"],
      ["/train", "run id form"],
      ["/flash", "SKU id form"],
    ]) {
      await page.goto(page.url().replace(/#.*$/, `#${route}`));
      await page.locator("form input").waitFor();
      await check(page, what);
    }

    await page.goto(page.url().replace(/#.*$/, `#/event/${ids.eventId}?window=600`));
    await page.locator('button[data-seat="A-1-1"]').click();
    await waitForText(page.locator("#selection"), /^Chosen: A-1-1/);
    await check(page, "seat map");
    // A reservation: the order page with its countdown and buttons.
    await page.click("#reserve");
    await page.locator("article[data-order] [data-countdown]").waitFor({ timeout: 15_000 });
    await page.locator("#wallet").filter({ hasText: "Wallet:" }).waitFor();
    await check(page, "order with countdown");
    await page.goto(page.url().replace(/#.*$/, "#/orders"));
    await page.locator("article[data-order]").first().waitFor();
    await check(page, "my orders");

    await page.goto(
      page.url().replace(/#.*$/, `#/netcafe/${ids.venueId}?day=${tomorrow()}&machine=m1`),
    );
    await page.locator("#window-list li").first().waitFor();
    await check(page, "net café");

    await page.goto(page.url().replace(/#.*$/, `#/train/${ids.runId}?from=2&to=5`));
    await page.locator("#stop-matrix td[data-from]").first().waitFor();
    await page.locator("#remaining tr[data-class]").waitFor();
    await check(page, "train");

    // A flash sale: waiting behind someone (one admission every 4 s, taken
    // by the first buyer), then admitted with the pass's countdown.
    await queueSku(admin, ids.skuId, { rate: 0.25 });
    await admittedTicket(await newBuyer(admin), ids.skuId);
    await page.goto(page.url().replace(/#.*$/, `#/flash/${ids.skuId}`));
    await page.locator('#flash[data-view="join"]').waitFor();
    await check(page, "flash sale, not in line");
    await page.click("#join");
    await page.locator('#flash[data-view="waiting"]').waitFor({ timeout: 5_000 });
    await check(page, "flash sale, waiting");
    await page.locator('#flash[data-view="admitted"]').waitFor({ timeout: 15_000 });
    await check(page, "flash sale, admitted");

    // A refusal on screen: an unknown event.
    await page.goto(page.url().replace(/#.*$/, `#/event/${uniqueId("nope")}`));
    await waitForText(page.locator("#map-error"), /^No such event\.$/);
    await check(page, "refusal");
  } catch (error) {
    error.message += `\nconsole:\n${log.join("\n")}`;
    throw error;
  } finally {
    await context.close();
  }
});

test("the sign-in page: accessible, and its dev form signs in with the gateway's /dev/token", async () => {
  const { context, log } = await buyerContext(browser, undefined);
  const user = uniqueId("signin");
  let answered;
  try {
    const page = await openApp(context, "/signin");
    // The real endpoint (the runner starts the gateway with
    // --dev_token_endpoint); the test only watches its answer.
    page.on("response", (response) => {
      if (response.url().endsWith("/dev/token")) answered = response.status();
    });
    await page.locator("#signin-user").waitFor();
    await check(page, "sign in");
    await page.fill("#signin-user", user);
    await page.click('form[aria-labelledby="dev-heading"] button[type="submit"]');
    await waitForText(page.locator("#who"), new RegExp(`Signed in as ${user}`));
    assert.equal(answered, 200);
    // The token works against the real gateway: My orders answers.
    await page.goto(page.url().replace(/#.*$/, "#/orders"));
    await waitForText(page.locator("#orders"), /No orders yet\./);
    await waitForText(page.locator("#wallet"), /^Wallet: no EUR wallet yet$/);
  } catch (error) {
    error.message += `\nconsole:\n${log.join("\n")}`;
    throw error;
  } finally {
    await context.close();
  }
});

test("the operator console's pages: accessible", async () => {
  const sub = uniqueId("a11y-operator");
  const operator = { userId: sub, token: await adminToken(sub), admin: true };
  // A reserved (unpaid) order: a TRYING transaction with its branches.
  const sku = await newSku(admin, { stock: 3 });
  const { order: reserved } = await clients().order.placeOrder(
    { requestId: uniqueId("a11y-order"), lines: [{ skuId: sku.skuId, quantity: 1n }] },
    auth(buyer.token),
  );
  const { context, log } = await buyerContext(browser, operator);
  try {
    const page = await openApp(context, "/ops");
    await page.locator("#alerts tr[data-alert]").first().waitFor();
    await page.locator(`#txn-list tr[data-gid="${reserved.orderId}"]`).waitFor();
    await check(page, "console: summary, alerts and transactions");

    await page.goto(page.url().replace(/#.*$/, `#/txn/${reserved.orderId}`));
    await page.locator('#branches tr[data-branch="order"]').waitFor();
    await page.locator("#txn-order [data-order]").waitFor();
    await check(page, "console: one transaction");

    await page.goto(page.url().replace(/#.*$/, "#/catalogue"));
    await page.locator("#create-sku").waitFor();
    await page.fill("#sku-id", uniqueId("a11y-sku"));
    await page.fill("#sku-name", "a11y");
    await page.fill("#sku-price", "not a price");
    await page.click("#create-sku button[type=submit]");
    await waitForText(page.locator("#create-sku-result"), /^Price: /);
    await check(page, "console: catalogue with a refusal");
  } catch (error) {
    error.message += `\nconsole:\n${log.join("\n")}`;
    throw error;
  } finally {
    await context.close();
  }
});
