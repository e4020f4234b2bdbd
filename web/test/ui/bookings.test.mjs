// Range bookings in Chromium against the real mesh (issue 11, tests 4 and
// 5): a 2-hour net-cafe slot disappears from the machine's free windows for
// a second buyer; a train trip of 2 passengers from stop 2 to stop 5 takes 2
// seats off that trip and none off stop 5 to 9.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { newBuyer } from "../gateway/lib/fixtures.mjs";
import { adminToken, uniqueId } from "../gateway/lib/tokens.mjs";
import { newRun, newVenue, tomorrow } from "./lib/catalogue.mjs";
import { buyerContext, launchChromium, openApp, waitForText } from "./lib/app.mjs";

let browser;
let admin;

before(async () => {
  admin = await adminToken();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

/** The free windows listed on the page, as [from, to) slot pairs. */
async function windowsOf(page) {
  await page.locator("#window-list li").first().waitFor();
  return page
    .locator("#window-list li")
    .evaluateAll((items) => items.map((li) => [Number(li.dataset.from), Number(li.dataset.to)]));
}

test("a 2-hour net-cafe slot: a second buyer sees that window gone for that machine", async () => {
  const venueId = await newVenue(admin);
  const day = tomorrow();
  const route = `/netcafe/${venueId}?day=${day}&machine=m1&package=2h`;
  const [a, b] = await Promise.all([newBuyer(admin), newBuyer(admin)]);
  const first = await buyerContext(browser, a);
  const second = await buyerContext(browser, b);
  try {
    const page = await openApp(first.context, route);
    assert.deepEqual(await windowsOf(page), [[0, 12]]);
    // 12:00 (slot 2) for the 2-hour package.
    await page.selectOption("#slot-start", "2");
    await waitForText(page.locator("#free-machines-h"), /12:00 for 2 h/);
    await page.click("#pay-now");
    await waitForText(page.locator("#order-result"), /^Paid/);

    const other = await openApp(second.context, route);
    assert.deepEqual(await windowsOf(other), [
      [0, 2],
      [4, 12],
    ]);
    assert.deepEqual(await other.locator("#window-list li").allTextContents(), [
      "10:00 – 12:00",
      "14:00 – 22:00",
    ]);
    // And m1 is not among the free machines for that window.
    await other.selectOption("#slot-start", "2");
    await waitForText(other.locator("#free-count"), /^1 of 2 free$/);
    assert.deepEqual(await other.locator("#free-machines li").allTextContents(), ["m2"]);
    assert.ok(await other.locator("#pay-now").isDisabled());
  } catch (error) {
    error.message += `\nconsole:\n${[...first.log, ...second.log].join("\n")}`;
    throw error;
  } finally {
    await first.context.close();
    await second.context.close();
  }
});

test("a train trip of 2 passengers from stop 2 to 5 takes 2 seats off that trip, none off 5 to 9", async () => {
  const runId = await newRun(admin);
  const buyer = await newBuyer(admin);
  const { context, log } = await buyerContext(browser, buyer);
  const left = (page) => page.locator('#remaining tr[data-class="second"] .remaining');
  const cell = (page, from, to) =>
    page.locator(`#stop-matrix td[data-from="${from}"][data-to="${to}"]`);
  try {
    const page = await openApp(context, `/train/${runId}?from=2&to=5`);
    await waitForText(left(page), /^20$/);
    await waitForText(cell(page, 5, 9), /^20$/);
    await page.selectOption("#trip-count", "2");
    await page.fill("#doc-0", uniqueId("P"));
    await page.fill("#doc-1", uniqueId("P"));
    await page.click("#pay-now");
    await waitForText(page.locator("#order-result"), /^Paid/);
    const seats = await waitForText(page.locator("#booked-seats"), /^Your seats: /);
    assert.equal(seats.replace("Your seats: ", "").split(", ").length, 2, seats);
    await waitForText(left(page), /^18$/);
    assert.equal((await cell(page, 2, 5).textContent())?.trim(), "18");
    assert.equal((await cell(page, 4, 5).textContent())?.trim(), "18");
    assert.equal((await cell(page, 5, 9).textContent())?.trim(), "20");
    assert.equal((await cell(page, 0, 2).textContent())?.trim(), "20");
    // The same trip chosen on the form: 5 to 9 still has all 20.
    await page.selectOption("#trip-from", "5");
    await page.selectOption("#trip-to", "9");
    await waitForText(page.locator("#remaining-h"), /Station 5 to Station 9/);
    await waitForText(left(page), /^20$/);
  } catch (error) {
    error.message += `\nconsole:\n${log.join("\n")}`;
    throw error;
  } finally {
    await context.close();
  }
});
