// The web UI in Debian's Chromium for the UI tests: a browser (the gateway
// tests' launch flags), one context per buyer with their token already in
// the app's session store (localStorage "turnstile.session", as the sign-in
// page leaves it), pages opened on the gateway's origin, and axe-core run in
// a page for the accessibility checks.
import { createRequire } from "node:module";

import { launchChromium } from "../../gateway/lib/browser.mjs";
import { env } from "../../gateway/lib/env.mjs";

export { launchChromium };

const require = createRequire(import.meta.url);

/**
 * A context signed in as `buyer` ({userId, token}); `buyer` undefined: signed out.
 * Collects the console and page errors of its pages for failure messages.
 * @param {import("playwright-core").Browser} browser
 * @param {{userId: string, token: string, admin?: boolean} | undefined} buyer
 */
export async function buyerContext(browser, buyer) {
  const context = await browser.newContext();
  const log = [];
  if (buyer) {
    const session = {
      token: buyer.token,
      user: buyer.userId,
      admin: Boolean(buyer.admin),
      expiresAt: Math.floor(Date.now() / 1000) + 600,
    };
    await context.addInitScript((value) => {
      // Error pages and about:blank have no storage of the app's origin.
      try {
        localStorage.setItem("turnstile.session", value);
      } catch {}
    }, JSON.stringify(session));
  }
  context.on("page", (page) => {
    page.on("console", (m) => log.push(`${m.type()}: ${m.text()}`));
    page.on("pageerror", (e) => log.push(`pageerror: ${e.message}`));
  });
  return { context, log };
}

/** Opens the app at hash route `hash` (e.g. "/event/E1?window=3") in a new page. */
export async function openApp(context, hash) {
  const page = await context.newPage();
  await page.goto(`${env.gatewayUrl}/#${hash}`);
  return page;
}

/** Waits until `locator`'s text passes `test` (a RegExp or a predicate). */
export async function waitForText(locator, test, { timeout = 20_000 } = {}) {
  const check = typeof test === "function" ? test : (text) => test.test(text);
  const deadline = Date.now() + timeout;
  let last = "";
  while (Date.now() < deadline) {
    last = (await locator.textContent({ timeout: 1_000 }).catch(() => null)) ?? "";
    if (check(last.trim())) return last.trim();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`text never matched ${test}; last: ${JSON.stringify(last)}`);
}

/**
 * Starts recording every text the page's countdowns show (a MutationObserver
 * in the page), so a test can tell that one passed through "0:00" even if
 * the order expired and was redrawn a moment later. Read with countdownTexts.
 */
export async function recordCountdowns(page) {
  await page.evaluate(() => {
    // @ts-ignore test-only global
    const seen = (window.__countdowns = []);
    const note = () => {
      for (const el of document.querySelectorAll("[data-countdown]")) {
        const text = el.textContent ?? "";
        if (text && seen[seen.length - 1] !== text) seen.push(text);
      }
    };
    new MutationObserver(note).observe(document.body, {
      subtree: true,
      childList: true,
      characterData: true,
    });
    note();
  });
}

/** The countdown texts recorded so far, in order. */
export function countdownTexts(page) {
  // @ts-ignore test-only global
  return page.evaluate(() => window.__countdowns ?? []);
}

/**
 * axe-core's violations of impact serious or critical on the page as it is
 * now, as "rule: target" strings (empty = none).
 */
export async function seriousViolations(page) {
  await page.addScriptTag({ path: require.resolve("axe-core/axe.min.js") });
  const violations = await page.evaluate(async () => {
    // @ts-ignore axe is the script just added
    const result = await window.axe.run(document, { resultTypes: ["violations"] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      targets: v.nodes.map((n) => n.target.join(" ")).slice(0, 5),
      help: v.help,
    }));
  });
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}: ${v.help}): ${v.targets.join(", ")}`);
}
