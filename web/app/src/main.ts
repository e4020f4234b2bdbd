// The app's shell: the main menu, who is signed in, and the hash router that
// draws the page of the current route into <main> (stopping the previous
// page's timers first).
import { h, replace } from "./dom.js";
import { parseRoute, routeHref } from "./logic/route.js";
import { PAGES, type Cleanup } from "./pages.js";
import { clearSession, loadSession } from "./session.js";

const main = document.getElementById("main") as HTMLElement;
const nav = document.getElementById("nav") as HTMLElement;
const who = document.getElementById("who") as HTMLElement;
let cleanup: Cleanup | void;

function drawShell(current: string): void {
  const operator = loadSession()?.admin ?? false;
  replace(
    nav,
    h(
      "ul",
      {},
      PAGES.filter((p) => p.inMenu && (operator || !p.operatorOnly)).map((p) =>
        h(
          "li",
          {},
          h(
            "a",
            { href: routeHref(p.page), "aria-current": p.page === current ? "page" : undefined },
            p.title,
          ),
        ),
      ),
    ),
  );
  const session = loadSession();
  replace(
    who,
    session
      ? [
          `Signed in as ${session.user}${session.admin ? " (operator)" : ""} `,
          h(
            "button",
            {
              class: "secondary",
              type: "button",
              onClick: () => {
                clearSession();
                location.hash = routeHref("signin");
                route();
              },
            },
            "Sign out",
          ),
        ]
      : h("a", { href: routeHref("signin") }, "Sign in"),
  );
}

function route(): void {
  if (cleanup) cleanup();
  const current = parseRoute(location.hash);
  const entry = PAGES.find((p) => p.page === current.page) ?? PAGES[0];
  drawShell(entry.page);
  document.title = entry.page ? `${entry.title} · Turnstile` : "Turnstile";
  main.replaceChildren();
  cleanup = entry.render(main, current);
}

window.addEventListener("hashchange", route);
window.addEventListener("turnstile:session", route);
route();
