// The README's screenshots (docs/screenshots/*.png), taken in Debian's
// Chromium from the catalogue `./run demo` seeds (tools/demo_ui_catalogue.h):
//   node web/scripts/screenshots.mjs [gateway URL] [out dir]
// Tokens come from `./run ctl token` (TURNSTILE_CTL, default ./run ctl), so
// it works whether or not the gateway's dev sign-in is on. Each shot waits
// for its page's live data; a page that never shows it fails the script.
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";

const base = process.argv[2] ?? "http://127.0.0.1:8080";
const out = resolve(process.argv[3] ?? "docs/screenshots");
const ctl = (process.env.TURNSTILE_CTL ?? "./run ctl").split(" ");

function token(user, admin) {
  const args = [...ctl.slice(1), "token", "--user", user, "--ttl=1h"];
  if (admin) args.push("--admin");
  return execFileSync(ctl[0], args, { encoding: "utf8" }).trim().split("\n").pop();
}

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
});

async function signedIn(user, admin = false) {
  const context = await browser.newContext({ viewport: { width: 960, height: 640 } });
  const session = { token: token(user, admin), user, admin, expiresAt: Date.now() / 1000 + 3600 };
  await context.addInitScript((value) => {
    try {
      localStorage.setItem("turnstile.session", value);
    } catch {}
  }, JSON.stringify(session));
  return context;
}

async function shot(page, name) {
  mkdirSync(out, { recursive: true });
  await page.screenshot({ path: join(out, `${name}.png`) });
  console.log(`${name}.png`);
}

try {
  const alice = await signedIn("alice");
  const page = await alice.newPage();
  await page.goto(`${base}/#/event/ui-concert`);
  await page.locator("[data-seat]").first().waitFor({ timeout: 20_000 });
  await shot(page, "seat-map");
} finally {
  await browser.close();
}
