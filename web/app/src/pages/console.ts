// The operator console's start page (#/ops?state=..&participant=..&age=..
// &stuck=1): the log at a glance (Coordinator.GetSummary: stuck branches,
// overdue and open transactions, the oldest undelivered decision) with the
// chart's alert rules it bears on, refreshed every few seconds; and the
// transactions list (Coordinator.ListTransactions) with filters in the
// route's query and "next page" paging. Each gid links to #/txn/<gid>.
import { timestampDate } from "@bufbuild/protobuf/wkt";

import {
  TxnState,
  type Transaction,
  type TransactionSummary,
} from "../../../src/gen/turnstile/v1/coordinator_pb.js";
import { api } from "../api.js";
import { field, h, replace, select } from "../dom.js";
import { operatorErrorText } from "../errors.js";
import { formatAge, formatRelative } from "../logic/age.js";
import { evaluateAlerts, factsOf } from "../logic/alerts.js";
import { routeHref, type Route } from "../logic/route.js";
import {
  TXN_STATES,
  filtersFromForm,
  filtersFromQuery,
  filtersToQuery,
  listRequest,
  type TxnFilters,
} from "../logic/txnfilters.js";
import { opsNav, requireOperator, txnStateName } from "./opsguard.js";

const SUMMARY_EVERY_MS = 3000;

function tsMs(ts: { seconds: bigint; nanos: number } | undefined): number | undefined {
  return ts ? timestampDate(ts as Parameters<typeof timestampDate>[0]).getTime() : undefined;
}

function summaryView(s: TransactionSummary, nowMs: number): HTMLElement {
  const open = s.trying + s.confirming + s.cancelling;
  const stat = (id: string, label: string, value: string, bad = false) =>
    h(
      "div",
      { class: bad ? "stat bad" : "stat", id },
      h("span", { class: "stat-value" }, value),
      h("span", { class: "stat-label" }, label),
    );
  return h(
    "div",
    { class: "stats" },
    stat("stat-stuck", "stuck branches", String(s.stuckBranches), s.stuckBranches > 0n),
    stat(
      "stat-overdue",
      "overdue transactions",
      String(s.overdueTransactions),
      s.overdueTransactions > 0n,
    ),
    stat(
      "stat-open",
      `open (${s.trying} trying, ${s.confirming} confirming, ${s.cancelling} cancelling)`,
      String(open),
    ),
    stat(
      "stat-oldest",
      "oldest undelivered decision",
      s.oldestUndeliveredAgeSeconds > 0 ? formatAge(s.oldestUndeliveredAgeSeconds) : "none",
    ),
    stat(
      "stat-finished",
      `finished in the last hour (${s.confirmedLastHour} confirmed, ${s.cancelledLastHour} cancelled)`,
      String(s.confirmedLastHour + s.cancelledLastHour),
    ),
    h(
      "p",
      { class: "muted" },
      `Read ${formatRelative(tsMs(s.readAt) ?? nowMs, nowMs)}; a branch is stuck after more than ${s.stuckAttempts} failed attempts, or after a failure once its transaction was decided ${formatAge(Number(s.stuckAfterMs) / 1000)} ago.`,
    ),
  );
}

function alertsView(s: TransactionSummary, nowMs: number): HTMLElement {
  const views = evaluateAlerts(factsOf(s, nowMs));
  return h(
    "table",
    { id: "alerts" },
    h("caption", {}, "The chart's alert rules"),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { scope: "col" }, "Rule"),
        h("th", { scope: "col" }, "Severity"),
        h("th", { scope: "col" }, "Status"),
        h("th", { scope: "col" }, "Why"),
      ),
    ),
    h(
      "tbody",
      {},
      views.map((v) =>
        h(
          "tr",
          { "data-alert": v.rule.name, "data-status": v.status },
          h("th", { scope: "row" }, v.rule.name),
          h("td", {}, v.rule.severity),
          h(
            "td",
            {},
            h(
              "strong",
              { class: `alert-${v.status}` },
              v.status === "firing" ? "FIRING" : v.status === "ok" ? "ok" : "not evaluated",
            ),
          ),
          h("td", {}, v.text),
        ),
      ),
    ),
  );
}

/** "payment: REGISTERED, 3 attempts" for each branch. */
function branchesText(t: Transaction): string {
  return t.branches
    .map((b) => `${b.branchId}${b.state === 1 && b.attempts > 0 ? ` (${b.attempts} failed)` : ""}`)
    .join(", ");
}

export function consolePage(main: HTMLElement, route: Route): () => void {
  const alert = h("p", { role: "alert", class: "alert", id: "console-error" });
  main.append(h("h1", {}, "Transactions"), opsNav("ops"), alert);
  if (!requireOperator(alert)) return () => {};

  const filters = filtersFromQuery(route.query);
  const glance = h("section", { "aria-labelledby": "glance-heading", id: "glance" });
  const summaryBox = h("div", { id: "summary", "aria-live": "polite" }, "Reading the summary…");
  const alertsBox = h("div", {});
  replace(glance, h("h2", { id: "glance-heading" }, "At a glance"), summaryBox, alertsBox);

  const formError = h("p", { role: "alert", class: "alert", id: "filter-error" });
  const state = select(
    "f-state",
    [["", "any state"], ...TXN_STATES.map((s): [string, string] => [s, s])],
    filters.state,
    () => {},
  );
  const participant = h("input", {
    id: "f-participant",
    value: filters.participant,
    placeholder: "e.g. payment",
  });
  const age = h("input", {
    id: "f-age",
    value: filters.minAgeSeconds ? String(filters.minAgeSeconds) : "",
    placeholder: "e.g. 90s, 5m, 2h",
  });
  const stuck = h("input", { id: "f-stuck", type: "checkbox", checked: filters.stuckOnly });
  const form = h(
    "form",
    {
      "aria-labelledby": "filters-heading",
      id: "filters",
      onSubmit: (event: Event) => {
        event.preventDefault();
        const parsed = filtersFromForm({
          state: state.value,
          participant: participant.value,
          age: age.value,
          stuckOnly: stuck.checked,
        });
        if ("error" in parsed) {
          formError.textContent = parsed.error;
          return;
        }
        formError.textContent = "";
        const query = filtersToQuery(parsed);
        const target = `${routeHref("ops")}${query ? `?${query}` : ""}`;
        if (location.hash === target) void loadPage("");
        else location.hash = target;
      },
    },
    h("h2", { id: "filters-heading" }, "Filter"),
    h(
      "div",
      { class: "row" },
      field("State", state),
      field("Participant", participant),
      field("At least this old", age),
      h("div", { class: "field" }, stuck, " ", h("label", { for: "f-stuck" }, "Stuck only")),
    ),
    h("button", { type: "submit" }, "Apply"),
    formError,
  );

  const listStatus = h("p", { id: "list-status", "aria-live": "polite" });
  const list = h("div", { id: "txn-list" });
  const first = h(
    "button",
    { type: "button", class: "secondary", id: "first-page", onClick: () => void loadPage("") },
    "First page",
  );
  const next = h(
    "button",
    { type: "button", id: "next-page", onClick: () => void loadPage(nextToken) },
    "Next page",
  );
  main.append(
    glance,
    form,
    h(
      "section",
      { "aria-labelledby": "list-heading" },
      h("h2", { id: "list-heading" }, "Transactions, newest first"),
      listStatus,
      list,
      h("div", { class: "row" }, first, next),
    ),
  );

  let stopped = false;
  let nextToken = "";
  let pageNumber = 1;

  async function loadSummary(): Promise<void> {
    try {
      const summary = await api.coordinator.getSummary({});
      if (stopped) return;
      const now = Date.now();
      replace(summaryBox, summaryView(summary, now));
      replace(alertsBox, alertsView(summary, now));
    } catch (error) {
      if (!stopped) replace(summaryBox, operatorErrorText(error));
    }
  }

  function table(txns: Transaction[], now: number): HTMLElement {
    if (!txns.length) return h("p", {}, describeEmpty(filters));
    return h(
      "table",
      {},
      h("caption", {}, `Page ${pageNumber}`),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ["Transaction", "State", "Age", "Branches", "Next attempt"].map((c) =>
            h("th", { scope: "col" }, c),
          ),
        ),
      ),
      h(
        "tbody",
        {},
        txns.map((t) => {
          const created = tsMs(t.createdAt);
          const nextAt = tsMs(t.nextAttemptAt);
          return h(
            "tr",
            { "data-gid": t.gid, "data-state": txnStateName(t.state) },
            h("th", { scope: "row" }, h("a", { href: routeHref("txn", t.gid) }, t.gid)),
            h("td", {}, txnStateName(t.state)),
            h("td", {}, created ? formatAge((now - created) / 1000) : ""),
            h("td", {}, branchesText(t)),
            h(
              "td",
              {},
              nextAt && t.state !== TxnState.CONFIRMED && t.state !== TxnState.CANCELLED
                ? formatRelative(nextAt, now)
                : "—",
            ),
          );
        }),
      ),
    );
  }

  async function loadPage(token: string): Promise<void> {
    listStatus.textContent = "Loading…";
    try {
      const page = await api.coordinator.listTransactions(listRequest(filters, token));
      if (stopped) return;
      pageNumber = token ? pageNumber + 1 : 1;
      nextToken = page.nextPageToken;
      next.disabled = !nextToken;
      first.disabled = pageNumber === 1;
      replace(list, table(page.transactions, Date.now()));
      listStatus.textContent = `${page.transactions.length} shown${nextToken ? ", more on the next page" : ""}.`;
      alert.textContent = "";
    } catch (error) {
      if (stopped) return;
      listStatus.textContent = "";
      alert.textContent = operatorErrorText(error);
    }
  }

  void loadSummary();
  void loadPage("");
  const timer = window.setInterval(() => void loadSummary(), SUMMARY_EVERY_MS);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}

function describeEmpty(filters: TxnFilters): string {
  const any = filters.state || filters.participant || filters.minAgeSeconds || filters.stuckOnly;
  return any ? "No transaction matches these filters." : "No transactions yet.";
}
