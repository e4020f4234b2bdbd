// The start page: what the app offers, with links to each page.
import { h } from "../dom.js";
import { routeHref } from "../logic/route.js";
import { loadSession } from "../session.js";

export function homePage(main: HTMLElement): void {
  const session = loadSession();
  main.append(
    h("h1", {}, "Turnstile"),
    session
      ? h("p", {}, `Welcome, ${session.user}.`)
      : h("p", {}, h("a", { href: routeHref("signin") }, "Sign in"), " to buy or book."),
    h(
      "ul",
      {},
      h(
        "li",
        {},
        h("a", { href: routeHref("event") }, "Seats"),
        ": pick seats of an event on its map.",
      ),
      h(
        "li",
        {},
        h("a", { href: routeHref("flash") }, "Flash sale"),
        ": queue for a limited drop, then buy when it is your turn.",
      ),
      h(
        "li",
        {},
        h("a", { href: routeHref("netcafe") }, "Net café"),
        ": book a machine for a package of hours.",
      ),
      h(
        "li",
        {},
        h("a", { href: routeHref("train") }, "Train"),
        ": book seats from one stop to another.",
      ),
      h(
        "li",
        {},
        h("a", { href: routeHref("orders") }, "My orders"),
        ": pay, cancel, and your wallet.",
      ),
    ),
  );
}
