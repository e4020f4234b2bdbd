// The buy buttons every product page shares: "Pay now" (PlaceOrder with
// pay_now) and "Reserve" (reserve-then-pay, then the order's page with its
// countdown), an advanced payment-window field (prefilled from the route's
// ?window= parameter; 0 = the product's own window), and the outcome: the
// order, or the refusal in words.
import type { MessageInitShape } from "@bufbuild/protobuf";

import {
  OrderState,
  type OrderInfo,
  type OrderLineSchema,
} from "../../../src/gen/turnstile/v1/order_pb.js";
import { api, requestId } from "../api.js";
import { h } from "../dom.js";
import { errorText } from "../errors.js";
import { formatMoney } from "../logic/money.js";
import { routeHref, type Route } from "../logic/route.js";
import { loadSession } from "../session.js";

export type Line = MessageInitShape<typeof OrderLineSchema>;

export interface Checkout {
  element: HTMLElement;
  /** Enables the buttons when there is something to buy. */
  setReady(ready: boolean): void;
  /** Shows a refusal or a problem in words. */
  fail(text: string): void;
}

export function checkout(
  route: Route,
  lines: () => Line | undefined,
  onPlaced: (order: OrderInfo) => void,
  onRefused: (error: unknown) => void = () => {},
): Checkout {
  const alert = h("p", { role: "alert", class: "alert", id: "order-error" });
  const notice = h("p", { role: "status", class: "notice", id: "order-result" });
  const window = h("input", {
    id: "payment-window",
    type: "number",
    min: 0,
    max: 86400,
    value: route.query.get("window") ?? "0",
  });
  const payNow = h("button", { type: "button", id: "pay-now" }, "Pay now");
  const reserve = h("button", { type: "button", id: "reserve", class: "secondary" }, "Reserve");
  let busy = false;
  let ready = false;
  const sync = () => {
    payNow.disabled = reserve.disabled = busy || !ready;
  };

  async function place(pay: boolean): Promise<void> {
    const line = lines();
    if (!line) return;
    alert.textContent = "";
    notice.textContent = "";
    if (!loadSession()) {
      alert.append("Please ", h("a", { href: routeHref("signin") }, "sign in"), " first.");
      return;
    }
    busy = true;
    sync();
    try {
      const { order } = await api.order.placeOrder({
        requestId: requestId("ui"),
        lines: [line],
        payNow: pay,
        paymentWindowSeconds: pay ? 0 : Number(window.value) || 0,
      });
      if (!order) throw new Error("The order service answered without an order.");
      onPlaced(order);
      if (order.state === OrderState.PENDING_PAYMENT) {
        location.hash = routeHref("orders", order.orderId);
        return;
      }
      notice.replaceChildren(
        `${order.state === OrderState.PAID ? "Paid" : OrderState[order.state]}: ${formatMoney(order.total)}. `,
        h("a", { href: routeHref("orders", order.orderId) }, "See the order"),
      );
    } catch (error) {
      alert.textContent = errorText(error);
      onRefused(error);
    } finally {
      busy = false;
      sync();
    }
  }
  payNow.addEventListener("click", () => void place(true));
  reserve.addEventListener("click", () => void place(false));
  sync();

  return {
    element: h(
      "section",
      { "aria-label": "Buy" },
      h("div", { class: "row" }, payNow, reserve),
      h(
        "details",
        {},
        h("summary", {}, "Advanced"),
        h(
          "div",
          { class: "field" },
          h("label", { for: "payment-window" }, "Payment window for Reserve (seconds, 0 = usual)"),
          window,
        ),
      ),
      alert,
      notice,
    ),
    setReady(value: boolean) {
      ready = value;
      sync();
    },
    fail(text: string) {
      alert.textContent = text;
    },
  };
}

/** A form asking for a catalogue id (event, venue, run) and opening its page. */
export function idForm(page: string, label: string, placeholder: string): HTMLElement {
  const input = h("input", { id: `${page}-id`, required: true, placeholder });
  return h(
    "form",
    {
      onSubmit: (event: Event) => {
        event.preventDefault();
        location.hash = routeHref(page, input.value.trim());
      },
    },
    h("div", { class: "field" }, h("label", { for: `${page}-id` }, label), input),
    h("button", { type: "submit" }, "Open"),
  );
}
