// A flash sale of one SKU (#/flash/<sku>): its name, price and stock left
// (Inventory.GetSku, refreshed with WaitingRoom.GetQueue every 3 s), and
// when the SKU is queued the waiting room: Join the queue (JoinQueue), the
// place and estimated wait kept live by GetTicket (logic/queue.ts decides
// how often), then the Buy button with a countdown of the pass's validity.
// Buy is PlaceOrder with pay_now and the pass as metadata x-turnstile-pass.
// A SKU without a waiting room is simply bought. Every refusal is said in
// words; one that means the pass is gone sends the buyer back to the queue.
import { Code, ConnectError } from "@connectrpc/connect";
import { timestampMs } from "@bufbuild/protobuf/wkt";

import { OrderState } from "../../../src/gen/turnstile/v1/order_pb.js";
import type { QueueTicket } from "../../../src/gen/turnstile/v1/waiting_room_pb.js";
import { api, requestId } from "../api.js";
import { h, replace } from "../dom.js";
import { refusalOf } from "../errors.js";
import { countdownWords, formatCountdown } from "../logic/countdown.js";
import { formatMoney } from "../logic/money.js";
import {
  backoffMs,
  describeQueueRefusal,
  pollDelayMs,
  ticketView,
  waitingText,
  type QueueView,
} from "../logic/queue.js";
import { routeHref, type Route } from "../logic/route.js";
import { loadSession } from "../session.js";
import { idForm } from "./checkout.js";

const REFRESH_MS = 3000;

/** Where the buyer stands: no waiting room, not in line, or a queue view. */
type View = { kind: "loading" } | { kind: "open" } | { kind: "join" } | QueueView;

function words(error: unknown): string {
  const refusal = refusalOf(error);
  if (refusal) return describeQueueRefusal(refusal);
  return "Something went wrong: the server could not be reached.";
}

export function flashPage(main: HTMLElement, route: Route): () => void {
  const skuId = route.args[0];
  if (!skuId) {
    main.append(h("h1", {}, "Flash sale"), idForm("flash", "SKU id", "e.g. sneaker-drop"));
    return () => {};
  }
  const product = { skuId };
  const heading = h("h1", {}, `Flash sale ${skuId}`);
  const about = h("p", { id: "sku-about", "aria-live": "polite" });
  const loadError = h("p", { role: "alert", class: "alert", id: "sku-error" });
  const queueAbout = h("p", { id: "queue-about", class: "muted" });
  const status = h("p", { id: "queue-status", role: "status" });
  const queueError = h("p", { role: "alert", class: "alert", id: "queue-error" });
  const join = h("button", { type: "button", id: "join" }, "Join the queue");
  const countdown = h("span", { class: "countdown", id: "pass-countdown", "data-countdown": "" });
  const passLine = h("p", { id: "pass-left" }, "Your pass is valid for ", countdown, ".");
  const quantity = h("input", { id: "quantity", type: "number", min: 1, max: 20, value: "1" });
  const amount = h(
    "div",
    { class: "field" },
    h("label", { for: "quantity" }, "Quantity"),
    quantity,
  );
  const buy = h("button", { type: "button", id: "buy" }, "Buy now");
  const orderError = h("p", { role: "alert", class: "alert", id: "order-error" });
  const notice = h("p", { role: "status", class: "notice", id: "order-result" });
  const box = h(
    "section",
    { id: "flash", "aria-labelledby": "queue-heading", "data-view": "loading" },
    h("h2", { id: "queue-heading" }, "Waiting room"),
    queueAbout,
    status,
    join,
    passLine,
    queueError,
    amount,
    buy,
    orderError,
    notice,
  );
  main.append(heading, about, loadError, box);

  let view: View = { kind: "loading" };
  let stopped = false;
  let busy = false;
  let pollTimer: number | undefined;
  let failures = 0;
  let refreshing = false;

  function paint(): void {
    box.dataset.view = view.kind;
    const queued = view.kind !== "open" && view.kind !== "loading";
    join.hidden = view.kind !== "join" && view.kind !== "expired";
    join.textContent = view.kind === "expired" ? "Join again" : "Join the queue";
    join.disabled = busy;
    passLine.hidden = view.kind !== "admitted";
    buy.hidden = amount.hidden = queued && view.kind !== "admitted";
    buy.disabled = busy || view.kind === "loading";
    delete box.dataset.position;
    if (view.kind === "waiting") {
      box.dataset.position = String(view.position);
      status.textContent = waitingText(view.position, view.etaMs);
    } else if (view.kind === "admitted") {
      status.textContent = "It is your turn: you may buy now.";
      tick();
    } else if (view.kind === "expired") {
      status.textContent = "Your pass has expired: join the queue again to buy.";
    } else if (view.kind === "join") {
      status.textContent = "Join the queue to buy: buyers are let in in the order they joined.";
    } else if (view.kind === "open") {
      status.textContent = "No waiting room for this sale: you may buy straight away.";
    } else status.textContent = "";
  }

  function tick(): void {
    if (view.kind !== "admitted") return;
    const left = Math.max(0, view.expiresAtMs - Date.now());
    countdown.textContent = formatCountdown(left);
    countdown.setAttribute("aria-label", countdownWords(left));
    countdown.dataset.expiresAt = String(view.expiresAtMs);
    if (left === 0) {
      view = { kind: "expired" };
      paint();
    }
  }

  function show(next: View): void {
    view = next;
    paint();
  }

  function schedule(ms: number): void {
    if (stopped) return;
    window.clearTimeout(pollTimer);
    pollTimer = window.setTimeout(() => void ask(), ms);
  }

  // A ticket from JoinQueue or GetTicket: show it, and keep asking while
  // waiting (asking also keeps the place).
  function onTicket(ticket: QueueTicket): void {
    failures = 0;
    queueError.textContent = "";
    const expires = ticket.passExpiresAt ? timestampMs(ticket.passExpiresAt) : undefined;
    const next = ticketView({ ...ticket, passExpiresAtMs: expires }, Date.now());
    show(next);
    if (next.kind === "waiting") schedule(pollDelayMs(next.etaMs));
  }

  // A refusal of the waiting room's calls: which view it leaves the buyer in.
  function onQueueError(error: unknown, joining: boolean): void {
    const code = error instanceof ConnectError ? error.code : undefined;
    const reason = refusalOf(error)?.reason;
    if (reason === "NOT_QUEUED") {
      queueError.textContent = "";
      return show({ kind: "open" });
    }
    if (reason === "NOT_IN_QUEUE") {
      if (view.kind === "waiting")
        queueError.textContent = "Your place in line lapsed: join the queue again.";
      return show(view.kind === "expired" ? view : { kind: "join" });
    }
    queueError.textContent = words(error);
    if (joining || code === Code.Unauthenticated) return paint();
    failures++;
    schedule(backoffMs(failures, refusalOf(error)?.retryMs));
  }

  async function ask(): Promise<void> {
    if (stopped) return;
    try {
      onTicket(await api.waitingRoom.getTicket({ product }));
    } catch (error) {
      if (!stopped) onQueueError(error, false);
    }
  }

  function signedIn(alert: HTMLElement): boolean {
    if (loadSession()) return true;
    replace(alert, "Please ", h("a", { href: routeHref("signin") }, "sign in"), " first.");
    return false;
  }

  join.addEventListener("click", async () => {
    queueError.textContent = "";
    if (!signedIn(queueError)) return;
    busy = true;
    paint();
    try {
      onTicket(await api.waitingRoom.joinQueue({ product }));
    } catch (error) {
      onQueueError(error, true);
    } finally {
      busy = false;
      paint();
    }
  });

  buy.addEventListener("click", async () => {
    orderError.textContent = "";
    notice.textContent = "";
    if (!signedIn(orderError)) return;
    const pass = view.kind === "admitted" ? view.pass : undefined;
    busy = true;
    paint();
    try {
      const { order } = await api.order.placeOrder(
        {
          requestId: requestId("flash"),
          lines: [{ skuId, quantity: BigInt(Math.max(1, Number(quantity.value) || 1)) }],
          payNow: true,
        },
        pass ? { headers: { "x-turnstile-pass": pass } } : {},
      );
      if (!order) throw new Error("no order");
      const state = order.state === OrderState.PAID ? "Paid" : OrderState[order.state];
      notice.replaceChildren(
        `${state}: ${formatMoney(order.total)}. `,
        h("a", { href: routeHref("orders", order.orderId) }, "See the order"),
      );
    } catch (error) {
      orderError.textContent = words(error);
      // The pass is gone (or the sale got a waiting room): ask where we stand.
      if (refusalOf(error)?.reason === "NOT_ADMITTED") {
        if (view.kind === "open") show({ kind: "join" });
        void ask();
      }
    } finally {
      busy = false;
      paint();
      void refresh();
    }
  });

  // The SKU and its queue; the queue's appearance or removal moves the view.
  async function refresh(): Promise<void> {
    if (refreshing) return;
    refreshing = true;
    try {
      const [sku, queue] = await Promise.all([
        api.inventory.getSku({ skuId }),
        api.waitingRoom.getQueue({ product }),
      ]);
      if (stopped) return;
      loadError.textContent = "";
      heading.textContent = sku.name || `Flash sale ${skuId}`;
      about.textContent = `${formatMoney(sku.price)} each · ${sku.available > 0n ? `${sku.available} left` : "sold out"}`;
      about.dataset.available = String(sku.available);
      queueAbout.textContent = queue.enabled
        ? `Buyers are let in ${queue.admitPerSecond} per second; ${queue.waiting} waiting now.`
        : "";
      if (!queue.enabled && view.kind !== "open") {
        window.clearTimeout(pollTimer);
        show({ kind: "open" });
      } else if (queue.enabled && (view.kind === "open" || view.kind === "loading")) {
        // A signed-in buyer may already hold a place (a reload): ask.
        if (loadSession()) await ask();
        if (view.kind === "open" || view.kind === "loading") show({ kind: "join" });
      }
    } catch (error) {
      if (!stopped) loadError.textContent = words(error);
    } finally {
      refreshing = false;
    }
  }

  paint();
  void refresh();
  const refresher = window.setInterval(() => void refresh(), REFRESH_MS);
  const ticker = window.setInterval(tick, 250);
  return () => {
    stopped = true;
    window.clearInterval(refresher);
    window.clearInterval(ticker);
    window.clearTimeout(pollTimer);
  };
}
