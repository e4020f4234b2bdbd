// The operator pages' shared pieces: the "operators only" notice for anyone
// signed in without the admin role, and the transaction-state words.
import { TxnState, BranchState } from "../../../src/gen/turnstile/v1/coordinator_pb.js";
import { h, replace } from "../dom.js";
import { routeHref } from "../logic/route.js";
import { loadSession } from "../session.js";

/** True if an operator is signed in; otherwise says so in `alert` and returns false. */
export function requireOperator(alert: HTMLElement): boolean {
  const session = loadSession();
  if (session?.admin) return true;
  replace(
    alert,
    session
      ? "The operator console needs an operator sign-in (the admin role). "
      : "Please sign in as an operator to use the console. ",
    h("a", { href: routeHref("signin") }, "Sign in"),
  );
  return false;
}

export function txnStateName(state: TxnState): string {
  return TxnState[state] ?? "UNSPECIFIED";
}

export function branchStateName(state: BranchState): string {
  return BranchState[state] ?? "UNSPECIFIED";
}

/** The operator pages' sub-menu. */
export function opsNav(current: string): HTMLElement {
  const link = (page: string, text: string) =>
    h("a", { href: routeHref(page), "aria-current": page === current ? "page" : undefined }, text);
  return h(
    "nav",
    { "aria-label": "Operator console", class: "row" },
    link("ops", "Transactions"),
    link("catalogue", "Catalogue and reconcile"),
  );
}
