// Debian's Chromium driven by playwright-core (no browser download: the
// launcher's CHROMIUM is the executable), headless with a fresh profile,
// and the test page opened with given query parameters.
import { createReadStream, statSync } from "node:fs";
import http from "node:http";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

import { env } from "./env.mjs";

export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

/**
 * Launches Chromium. `hostMap` maps host names to 127.0.0.1:port
 * (--host-resolver-rules), so a page can be served under another origin
 * without touching DNS.
 * @param {Record<string, number>} [hostMap]
 */
export async function launchChromium(hostMap = {}) {
  const rules = Object.entries(hostMap).map(([host, port]) => `MAP ${host} 127.0.0.1:${port}`);
  const args = rules.length
    ? [...CHROMIUM_ARGS, `--host-resolver-rules=${rules.join(",")}`]
    : CHROMIUM_ARGS;
  // launch() gives every run a new temporary profile and removes it after.
  return chromium.launch({ executablePath: env.chromium, headless: true, args, timeout: 30_000 });
}

/**
 * Opens the test page at `url`, waits until it has finished its call
 * (body[data-done]) and returns what it showed, with the gRPC-web requests
 * and responses it made and its console, for diagnostics.
 * @param {import("playwright-core").Browser} browser
 * @param {string} url
 */
export async function runPage(browser, url, { timeoutMs = 20_000 } = {}) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const calls = [];
  const console = [];
  page.on("console", (message) => console.push(`${message.type()}: ${message.text()}`));
  page.on("pageerror", (error) => console.push(`pageerror: ${error.message}`));
  page.on("requestfailed", (request) =>
    console.push(`failed: ${request.url()} ${request.failure()?.errorText}`),
  );
  page.on("response", async (response) => {
    const request = response.request();
    if (request.method() !== "POST") return;
    calls.push({
      url: request.url(),
      requestType: (await request.allHeaders())["content-type"],
      status: response.status(),
      responseType: (await response.allHeaders())["content-type"],
    });
  });
  try {
    await page.goto(url, { timeout: timeoutMs });
    await page.waitForSelector("body[data-done]", { state: "attached", timeout: timeoutMs });
    return {
      state: (await page.textContent("#state"))?.trim() ?? "",
      error: (await page.textContent("#error"))?.trim() ?? "",
      client: (await page.textContent("#client"))?.trim() ?? "",
      calls,
      console,
    };
  } catch (error) {
    error.message += `\npage console:\n${console.join("\n")}`;
    throw error;
  } finally {
    await context.close();
  }
}

/** The test page's URL under `origin` with the given query parameters. */
export function pageUrl(origin, params) {
  const query = new URLSearchParams(
    Object.entries(params).filter(([, v]) => v !== undefined && v !== ""),
  );
  return `${origin}/index.html?${query}`;
}

const TYPES = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css" };

/**
 * Serves the built test page (web/test/gateway/static) on 127.0.0.1, so
 * that it can be opened under an origin other than the gateway's.
 * @returns {Promise<{port: number, close: () => Promise<void>}>}
 */
export async function servePage() {
  const root = fileURLToPath(new URL("../static/", import.meta.url));
  const server = http.createServer((request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url ?? "/", "http://x").pathname));
    const file = join(root, path === "/" ? "index.html" : path);
    if (!file.startsWith(root) || !statSync(file, { throwIfNoEntry: false })?.isFile()) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
    createReadStream(file).pipe(response);
  });
  await new Promise((resolve) =>
    server.listen({ port: 0, host: "127.0.0.1" }, () => resolve(undefined)),
  );
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : 0,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
