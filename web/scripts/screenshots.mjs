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

async function shot(page, name, fullPage = false) {
  mkdirSync(out, { recursive: true });
  await page.screenshot({ path: join(out, `${name}.png`), fullPage });
  console.log(`${name}.png`);
}

const rest = (path) => `${base}/#${path}`;

try {
  // Seat map: bob holds two seats (reserved), alice picks a free one of row 1.
  const bob = await signedIn("bob");
  const bobPage = await bob.newPage();
  await bobPage.goto(rest("/event/ui-concert?window=900"));
  for (const seat of ["Stalls-2-6", "Stalls-2-7"]) {
    const button = bobPage.locator(`button[data-seat="${seat}"]`);
    if (await button.isEnabled()) await button.click();
  }
  if (await bobPage.locator("#reserve").isEnabled()) {
    await bobPage.click("#reserve");
    await bobPage.locator("article[data-order]").first().waitFor({ timeout: 20_000 });
  }

  const alice = await signedIn("alice");
  const page = await alice.newPage();
  await page.goto(rest("/event/ui-concert?window=600"));
  await page.locator('button[data-seat^="Stalls-1-"]:enabled').first().click();
  await shot(page, "seat-map");

  // The countdown: alice reserves that seat and looks at the order.
  await page.click("#reserve");
  const order = page.locator("article[data-order]").first();
  await order.locator("[data-countdown]").waitFor({ timeout: 20_000 });
  const gid = await order.getAttribute("data-order");
  await shot(page, "countdown");

  // The waiting room: the flash SKU slowed to one admission in 10 s, three buyers ahead of
  // carol; the demo's rate is put back afterwards.
  const operator = token("demo-operator", true);
  const queue = (rate) =>
    execFileSync(
      process.execPath,
      [join(import.meta.dirname, "queue-sku.mjs"), base, operator, "ui-flash", String(rate)],
      { encoding: "utf8" },
    );
  queue(0.1);
  try {
    // New buyers each run: a join is idempotent and a place outlives the page.
    const run = Date.now() % 100000;
    for (const user of [`dave-${run}`, `erin-${run}`, `frank-${run}`]) {
      const c = await signedIn(user);
      const p = await c.newPage();
      await p.goto(rest("/flash/ui-flash"));
      await p.click("#join");
      await p.locator('#flash[data-view="waiting"], #flash[data-view="admitted"]').waitFor();
    }
    const carol = await signedIn(`carol-${run}`);
    const flash = await carol.newPage();
    await flash.goto(rest("/flash/ui-flash"));
    await flash.click("#join");
    await flash.locator('#flash[data-view="waiting"]').waitFor({ timeout: 20_000 });
    await shot(flash, "waiting-room");
  } finally {
    queue(2);
  }

  // The transaction view of alice's reservation, as an operator.
  const ops = await signedIn("demo-operator", true);
  const txn = await ops.newPage();
  await txn.goto(rest(`/txn/${gid}`));
  await txn.locator("[data-branch]").first().waitFor({ timeout: 20_000 });
  await shot(txn, "transaction", true);
} finally {
  await browser.close();
}
