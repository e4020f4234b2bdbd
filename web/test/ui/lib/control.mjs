// Stops and starts mesh services from a UI test through the runner's FIFO
// (tests/web/service_control.h): one request line, then the runner's answer
// file. Used by the console test to take payment down and bring it back.
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";

let counter = 0;

/**
 * Asks the runner to `action` ("stop" | "kill" | "start") `service` and
 * waits for it to be done (a start waits until the service accepts calls).
 * @param {"stop" | "kill" | "start"} action
 * @param {string} service e.g. "payment"
 */
export async function controlService(action, service, { timeout = 60_000 } = {}) {
  const fifo = process.env.SERVICE_CONTROL_FIFO;
  if (!fifo) throw new Error("SERVICE_CONTROL_FIFO is not set: run under web_gateway_runner");
  const id = `${process.pid}-${Date.now().toString(36)}-${counter++}`;
  const done = `${fifo}.${id}.done`;
  // Opening a FIFO for writing waits for its reader, which the runner keeps open.
  writeFileSync(fifo, `${id} ${action} ${service}\n`);
  const deadline = Date.now() + timeout;
  while (!existsSync(done)) {
    if (Date.now() > deadline) throw new Error(`${action} ${service}: no answer in ${timeout} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const answer = readFileSync(done, "utf8");
  rmSync(done, { force: true });
  if (answer !== "ok") throw new Error(`${action} ${service}: ${answer}`);
}
