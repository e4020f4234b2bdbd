// One transaction for operators (#/txn/<gid>): its state, deadline and next
// look, every branch with its state, attempts, last error and next attempt
// (Coordinator.GetTransaction, read again every two seconds until it is
// final), its order (Order.GetOrder: an order's id is its transaction's
// gid), and "Retry now" (Coordinator.RetryTransaction), which makes a
// confirming or cancelling transaction due at once instead of after its
// branches' backoff.
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";

import {
  BranchState,
  TxnState,
  type Transaction,
} from "../../../src/gen/turnstile/v1/coordinator_pb.js";
import { OrderState, type OrderInfo } from "../../../src/gen/turnstile/v1/order_pb.js";
import { CancelReason } from "../../../src/gen/turnstile/v1/participant_pb.js";
import { api } from "../api.js";
import { h, replace } from "../dom.js";
import { operatorErrorText } from "../errors.js";
import { formatAge, formatRelative } from "../logic/age.js";
import { formatMoney } from "../logic/money.js";
import { routeHref, type Route } from "../logic/route.js";
import { itemText } from "./orders.js";
import { branchStateName, opsNav, requireOperator, txnStateName } from "./opsguard.js";

const REFRESH_MS = 2000;

function tsMs(ts: { seconds: bigint; nanos: number } | undefined): number | undefined {
  return ts ? timestampDate(ts as Parameters<typeof timestampDate>[0]).getTime() : undefined;
}

function at(ts: { seconds: bigint; nanos: number } | undefined, now: number): string {
  const ms = tsMs(ts);
  return ms === undefined ? "—" : `${new Date(ms).toISOString()} (${formatRelative(ms, now)})`;
}

const delivering = (t: Transaction) =>
  t.state === TxnState.CONFIRMING || t.state === TxnState.CANCELLING;
const final = (t: Transaction) => t.state === TxnState.CONFIRMED || t.state === TxnState.CANCELLED;

function facts(t: Transaction, now: number): HTMLElement {
  const row = (label: string, value: string | HTMLElement, id?: string) => [
    h("dt", {}, label),
    h("dd", id ? { id } : {}, value),
  ];
  const created = tsMs(t.createdAt);
  return h(
    "dl",
    { class: "facts" },
    row("State", h("strong", {}, txnStateName(t.state)), "txn-state"),
    row("Request", t.requestId),
    row(
      "Created",
      `${at(t.createdAt, now)}${created ? `, ${formatAge((now - created) / 1000)} old` : ""}`,
    ),
    row("Deadline", at(t.deadline, now)),
    row("Last change", at(t.updatedAt, now)),
    row("Next look", final(t) ? "— (finished)" : at(t.nextAttemptAt, now), "txn-next"),
    t.cancelReason ? row("Cancel reason", CancelReason[t.cancelReason] ?? "") : [],
    t.detail ? row("Detail", t.detail) : [],
    t.traceId ? row("Trace", t.traceId) : [],
  );
}

function branches(t: Transaction, now: number): HTMLElement {
  return h(
    "table",
    { id: "branches" },
    h("caption", {}, "Branches"),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ["Branch", "Participant", "State", "Attempts", "Last error", "Next attempt"].map((c) =>
          h("th", { scope: "col" }, c),
        ),
      ),
    ),
    h(
      "tbody",
      {},
      t.branches.map((b) => {
        const nextMs = tsMs(b.nextAttemptAt);
        return h(
          "tr",
          {
            "data-branch": b.branchId,
            "data-state": branchStateName(b.state),
            "data-attempts": String(b.attempts),
            "data-next-attempt-ms": nextMs === undefined ? "" : String(nextMs),
          },
          h("th", { scope: "row" }, b.branchId),
          h("td", {}, b.participant),
          h("td", { class: "branch-state" }, branchStateName(b.state)),
          h("td", { class: "branch-attempts" }, String(b.attempts)),
          h("td", { class: "branch-error" }, b.lastError || "—"),
          h(
            "td",
            { class: "branch-next" },
            b.state === BranchState.REGISTERED && nextMs !== undefined
              ? at(b.nextAttemptAt, now)
              : "—",
          ),
        );
      }),
    ),
  );
}

function orderView(order: OrderInfo): HTMLElement {
  return h(
    "div",
    { "data-order": order.orderId, "data-state": OrderState[order.state] ?? "" },
    h(
      "p",
      {},
      "Order of ",
      h("strong", {}, order.userId),
      ": ",
      h("strong", { class: "order-state" }, OrderState[order.state] ?? "UNSPECIFIED"),
      ` · total ${formatMoney(order.total)}`,
    ),
    h(
      "ul",
      { "aria-label": "Items" },
      order.items.map((item) => h("li", {}, itemText(item))),
    ),
  );
}

export function transactionPage(main: HTMLElement, route: Route): () => void {
  const gid = route.args[0] ?? "";
  const alert = h("p", { role: "alert", class: "alert", id: "txn-error" });
  const status = h("p", { role: "status", id: "retry-status" });
  main.append(
    h("h1", {}, `Transaction ${gid}`),
    opsNav(""),
    h("p", {}, h("a", { href: routeHref("ops") }, "All transactions")),
    alert,
  );
  if (!requireOperator(alert)) return () => {};
  if (!gid) {
    alert.textContent = "No transaction id in the address.";
    return () => {};
  }

  const head = h("div", { id: "txn-facts" }, "Reading the transaction…");
  const branchBox = h("div", {});
  const orderBox = h("div", { id: "txn-order" }, "Reading the order…");
  const retry = h(
    "button",
    { type: "button", id: "retry-now", disabled: true, onClick: () => void retryNow() },
    "Retry now",
  );
  const refresh = h(
    "button",
    { type: "button", class: "secondary", onClick: () => void load() },
    "Refresh",
  );
  main.append(
    h(
      "section",
      { "aria-labelledby": "state-heading" },
      h("h2", { id: "state-heading" }, "State"),
      head,
    ),
    h("div", { class: "row" }, retry, refresh),
    h(
      "p",
      { class: "muted" },
      "Retry now makes a confirming or cancelling transaction due at once: its branches are tried again without waiting for their backoff.",
    ),
    status,
    branchBox,
    h(
      "section",
      { "aria-labelledby": "order-heading" },
      h("h2", { id: "order-heading" }, "Its order"),
      orderBox,
    ),
  );

  let stopped = false;
  let txn: Transaction | undefined;
  let timer = 0;

  function draw(t: Transaction): void {
    txn = t;
    const now = Date.now();
    replace(head, facts(t, now));
    replace(branchBox, branches(t, now));
    retry.disabled = !delivering(t);
  }

  async function loadOrder(): Promise<void> {
    try {
      const order = await api.order.getOrder({ orderId: gid });
      if (!stopped) replace(orderBox, orderView(order));
    } catch (error) {
      if (stopped) return;
      replace(
        orderBox,
        error instanceof ConnectError && error.code === Code.NotFound
          ? "No order has this transaction's id (it was not begun by the order service, or the order is gone)."
          : operatorErrorText(error),
      );
    }
  }

  async function load(): Promise<void> {
    try {
      const t = await api.coordinator.getTransaction({ gid });
      if (stopped) return;
      const wasFinal = txn ? final(txn) : false;
      draw(t);
      alert.textContent = "";
      if (!wasFinal) void loadOrder();
    } catch (error) {
      if (!stopped) alert.textContent = operatorErrorText(error);
    }
  }

  async function retryNow(): Promise<void> {
    retry.disabled = true;
    status.textContent = "Asking the coordinator to retry…";
    try {
      const t = await api.coordinator.retryTransaction({ gid });
      if (stopped) return;
      draw(t);
      status.textContent = "Retry requested: the branches are being tried again now.";
    } catch (error) {
      if (stopped) return;
      status.textContent = operatorErrorText(error);
      if (txn) retry.disabled = !delivering(txn);
    }
  }

  void load();
  timer = window.setInterval(() => {
    if (!txn || !final(txn)) void load();
  }, REFRESH_MS);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
