// My orders (Order.ListOrders, newest first) or one order (#/orders/<id>,
// Order.GetOrder): state, items, total, and for a reserved order a live
// countdown to expires_at with Pay and Cancel (PayOrder / CancelOrder). When
// the countdown reaches zero the order is read again until the mesh has
// expired it. Above them the wallet balance (Payment.GetWallet).
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";

import {
  OrderState,
  type OrderInfo,
  type OrderItem,
} from "../../../src/gen/turnstile/v1/order_pb.js";
import { api } from "../api.js";
import { h, replace } from "../dom.js";
import { errorText } from "../errors.js";
import { countdownWords, formatCountdown, remainingMs } from "../logic/countdown.js";
import { formatMoney } from "../logic/money.js";
import { routeHref, type Route } from "../logic/route.js";
import { loadSession } from "../session.js";

const STATE_TEXT: Record<number, string> = {
  [OrderState.PENDING]: "being placed",
  [OrderState.PENDING_PAYMENT]: "reserved, waiting for payment",
  [OrderState.PAID]: "paid",
  [OrderState.CANCELLED]: "cancelled",
  [OrderState.EXPIRED]: "expired",
  [OrderState.FAILED]: "failed",
};

function stateName(state: OrderState): string {
  return OrderState[state] ?? "UNSPECIFIED";
}

function when(ts: { seconds: bigint; nanos: number } | undefined): string {
  return ts ? timestampDate(ts as Parameters<typeof timestampDate>[0]).toLocaleString() : "";
}

export function itemText(item: OrderItem): string {
  const price = formatMoney(item.unitPrice);
  const b = item.booking;
  switch (item.kind) {
    case "sku":
      return `${item.quantity} × ${item.skuId} at ${price}`;
    case "seat":
      return `Seat ${item.seatId} of ${item.eventId}, ${price}`;
    case "slot": {
      const from = b?.window?.startsAt ? timestampDate(b.window.startsAt).toLocaleString() : "";
      const to = b?.window?.endsAt ? timestampDate(b.window.endsAt).toLocaleTimeString() : "";
      return `Machine ${b?.machineId} at ${b?.venueId}, ${from} – ${to}, ${formatMoney(b?.price ?? item.unitPrice)}`;
    }
    case "leg":
      return `Seat ${b?.seatId} on ${b?.runId}, stop ${b?.fromStop} to ${b?.toStop}, passenger ${b?.docId}, ${formatMoney(b?.price ?? item.unitPrice)}`;
    default:
      return `${item.kind} ${price}`;
  }
}

export function ordersPage(main: HTMLElement, route: Route): () => void {
  const one = route.args[0];
  const alert = h("p", { role: "alert", class: "alert", id: "orders-error" });
  const wallet = h("p", { id: "wallet", "aria-live": "polite" });
  const list = h("div", { id: "orders" });
  const timers: number[] = [];
  const tickers = new Set<() => void>();
  let orders: OrderInfo[] = [];
  let stopped = false;

  main.append(h("h1", {}, one ? `Order ${one}` : "My orders"), alert, wallet, list);
  if (one) main.append(h("p", {}, h("a", { href: routeHref("orders") }, "All my orders")));
  if (!loadSession()) {
    replace(
      alert,
      "Please ",
      h("a", { href: routeHref("signin") }, "sign in"),
      " to see your orders.",
    );
    return () => {};
  }

  async function loadWallet(): Promise<void> {
    const currencies = new Set(["EUR"]);
    for (const order of orders) if (order.total?.currency) currencies.add(order.total.currency);
    const parts: string[] = [];
    for (const currency of currencies) {
      try {
        const w = await api.payment.getWallet({ currency });
        parts.push(
          `${formatMoney(w.balance)}${w.frozen && w.frozen.minorUnits > 0n ? ` (${formatMoney(w.frozen)} held for payments)` : ""}`,
        );
      } catch (error) {
        if (error instanceof ConnectError && error.code === Code.NotFound)
          parts.push(`no ${currency} wallet yet`);
        else parts.push(errorText(error));
      }
    }
    wallet.textContent = `Wallet: ${parts.join(" · ")}`;
  }

  function card(order: OrderInfo): HTMLElement {
    const id = `order-${order.orderId}`;
    const actionError = h("p", { role: "alert", class: "alert" });
    const reserved = order.state === OrderState.PENDING_PAYMENT && order.expiresAt;
    const countdown = h("span", { class: "countdown", "data-countdown": "" });
    const act = async (what: "pay" | "cancel", button: HTMLButtonElement) => {
      button.disabled = true;
      actionError.textContent = "";
      try {
        const updated =
          what === "pay"
            ? await api.order.payOrder({ orderId: order.orderId })
            : await api.order.cancelOrder({ orderId: order.orderId });
        replaceOrder(updated);
      } catch (error) {
        actionError.textContent = errorText(error);
        button.disabled = false;
      }
    };
    const article = h(
      "article",
      { "aria-labelledby": id, "data-order": order.orderId, "data-state": stateName(order.state) },
      h(
        "h2",
        { id },
        one
          ? "Details"
          : h("a", { href: routeHref("orders", order.orderId) }, `Order ${order.orderId}`),
      ),
      h(
        "p",
        {},
        "State: ",
        h("strong", { class: "order-state" }, stateName(order.state)),
        ` (${STATE_TEXT[order.state] ?? "unknown"}) · total ${formatMoney(order.total)} · placed ${when(order.createdAt)}`,
      ),
      h(
        "ul",
        { "aria-label": "Items" },
        order.items.map((item) => h("li", {}, itemText(item))),
      ),
      reserved
        ? h(
            "div",
            {},
            h(
              "p",
              {},
              "Pay within ",
              countdown,
              " ",
              h("span", { class: "muted" }, `(until ${when(order.expiresAt)})`),
            ),
            h(
              "div",
              { class: "row" },
              h(
                "button",
                {
                  type: "button",
                  class: "pay",
                  onClick: (e: Event) => void act("pay", e.currentTarget as HTMLButtonElement),
                },
                "Pay",
              ),
              h(
                "button",
                {
                  type: "button",
                  class: "cancel secondary",
                  onClick: (e: Event) => void act("cancel", e.currentTarget as HTMLButtonElement),
                },
                "Cancel",
              ),
            ),
          )
        : null,
      actionError,
    );
    if (reserved && order.expiresAt) {
      const expires = timestampDate(order.expiresAt).getTime();
      let asked = false;
      const tick = () => {
        const left = remainingMs(expires, Date.now());
        countdown.textContent = formatCountdown(left);
        countdown.setAttribute("aria-label", countdownWords(left));
        if (left === 0 && !asked) {
          asked = true;
          tickers.delete(tick);
          void waitForExpiry(order.orderId);
        }
      };
      tickers.add(tick);
      tick();
    }
    return article;
  }

  // After the countdown: read the order until the mesh has moved it on
  // (EXPIRED, or PAID if a payment raced the clock), at most a minute.
  async function waitForExpiry(orderId: string): Promise<void> {
    for (let i = 0; i < 60 && !stopped; i++) {
      try {
        const order = await api.order.getOrder({ orderId });
        if (order.state !== OrderState.PENDING_PAYMENT) {
          replaceOrder(order);
          return;
        }
      } catch (error) {
        alert.textContent = errorText(error);
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }

  function draw(): void {
    tickers.clear();
    replace(list, orders.length ? orders.map(card) : h("p", {}, "No orders yet."));
  }

  function replaceOrder(order: OrderInfo): void {
    orders = orders.map((o) => (o.orderId === order.orderId ? order : o));
    draw();
    void loadWallet();
  }

  async function load(): Promise<void> {
    try {
      orders = one
        ? [await api.order.getOrder({ orderId: one })]
        : (await api.order.listOrders({ pageSize: 50 })).orders;
      alert.textContent = "";
      draw();
    } catch (error) {
      alert.textContent = errorText(error);
    }
    await loadWallet();
  }

  void load();
  timers.push(window.setInterval(() => tickers.forEach((tick) => tick()), 250));
  return () => {
    stopped = true;
    timers.forEach(clearInterval);
  };
}
