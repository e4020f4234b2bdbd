// The seat map in Chromium against the real mesh (issue 11, tests 1 and 2):
// two buyers race for one seat, and a reservation with a 3-second payment
// window runs out on the countdown and gives the seat back.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { newBuyer } from "../gateway/lib/fixtures.mjs";
import { adminToken } from "../gateway/lib/tokens.mjs";
import { newEvent } from "./lib/catalogue.mjs";
import {
  buyerContext,
  countdownTexts,
  launchChromium,
  openApp,
  recordCountdowns,
  waitForText,
} from "./lib/app.mjs";

let browser;
let admin;
let eventId;

before(async () => {
  admin = await adminToken();
  eventId = await newEvent(admin);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

test("two buyers race for one seat: one gets it, the other is told it is taken and sees it taken", async () => {
  const buyers = await Promise.all([newBuyer(admin), newBuyer(admin)]);
  const sessions = await Promise.all(buyers.map((b) => buyerContext(browser, b)));
  try {
    const pages = await Promise.all(sessions.map((s) => openApp(s.context, `/event/${eventId}`)));
    for (const page of pages) {
      const seat = page.locator('button[data-seat="A-1-3"]');
      await seat.waitFor();
      assert.equal(await seat.getAttribute("data-state"), "available");
      await seat.click();
      assert.equal(await seat.getAttribute("aria-pressed"), "true");
    }
    await Promise.all(pages.map((page) => page.click("#pay-now")));
    const outcomes = await Promise.all(
      pages.map((page) =>
        waitForText(
          page.locator("#order-result, #order-error").filter({ hasText: /\S/ }).first(),
          /\S/,
        ),
      ),
    );
    const winners = outcomes.filter((text) => text.startsWith("Paid"));
    const losers = outcomes.filter((text) => text.startsWith("Seat taken"));
    assert.equal(winners.length, 1, `outcomes: ${JSON.stringify(outcomes)}`);
    assert.equal(losers.length, 1, `outcomes: ${JSON.stringify(outcomes)}`);
    const loser = pages[outcomes.indexOf(losers[0])];
    // The loser's map shows the seat taken (sold once the winner's payment is
    // confirmed), no longer chosen.
    const seat = loser.locator('button[data-seat="A-1-3"]');
    const deadline = Date.now() + 20_000;
    let state = "";
    while (Date.now() < deadline && state !== "sold") {
      state = (await seat.getAttribute("data-state")) ?? "";
      if (state !== "sold") await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(state, "sold");
    assert.equal(await seat.getAttribute("aria-pressed"), "false");
    assert.ok(await seat.isDisabled());
    assert.match((await seat.getAttribute("aria-label")) ?? "", /sold/);
  } catch (error) {
    error.message += `\nconsole:\n${sessions.flatMap((s) => s.log).join("\n")}`;
    throw error;
  } finally {
    await Promise.all(sessions.map((s) => s.context.close()));
  }
});

test("reserve with a 3-second window: the countdown reaches zero, the order is EXPIRED, the seat is free again", async () => {
  const buyer = await newBuyer(admin);
  const { context, log } = await buyerContext(browser, buyer);
  try {
    const page = await openApp(context, `/event/${eventId}?window=3`);
    const seat = page.locator('button[data-seat="B-1-2"]');
    await seat.waitFor();
    await seat.click();
    assert.equal(await page.inputValue("#payment-window"), "3");
    await recordCountdowns(page);
    await page.click("#reserve");
    // The order's page with its countdown.
    await page.waitForURL(/#\/orders\//, { timeout: 15_000 });
    const order = page.locator("article[data-order]");
    await order.waitFor({ timeout: 15_000 });
    // The page reads the order again until the mesh has expired it.
    await page.waitForSelector('article[data-order][data-state="EXPIRED"]', { timeout: 45_000 });
    const seen = await countdownTexts(page);
    assert.ok(seen.length >= 2, `countdown showed ${JSON.stringify(seen)}`);
    const [m, s] = seen[0].split(":").map(Number);
    assert.ok(m === 0 && s >= 1 && s <= 3, `countdown started at ${seen[0]}`);
    assert.equal(seen[seen.length - 1], "0:00", `countdown showed ${JSON.stringify(seen)}`);
    const secondsShown = seen.map((t) => Number(t.split(":")[1]));
    assert.deepEqual(
      secondsShown,
      [...secondsShown].sort((a, b) => b - a),
      "the countdown only goes down",
    );
    assert.equal(await page.locator("button.pay").count(), 0);
    // The seat is available again on the map.
    await page.goto(page.url().replace(/#.*$/, `#/event/${eventId}`));
    const again = page.locator('button[data-seat="B-1-2"]');
    await again.waitFor();
    await page.waitForSelector('button[data-seat="B-1-2"][data-state="available"]', {
      timeout: 30_000,
    });
  } catch (error) {
    error.message += `\nconsole:\n${log.join("\n")}`;
    throw error;
  } finally {
    await context.close();
  }
});
