// The app's pages: one entry per route, in the order of the main menu. A
// page draws into <main> and returns what to stop (timers) when the route
// changes. The operator console's pages (ops, txn, catalogue) are in the
// menu only for an operator's sign-in.
import type { Route } from "./logic/route.js";
import { cataloguePage } from "./pages/catalogue.js";
import { consolePage } from "./pages/console.js";
import { eventPage } from "./pages/event.js";
import { flashPage } from "./pages/flash.js";
import { homePage } from "./pages/home.js";
import { netcafePage } from "./pages/netcafe.js";
import { ordersPage } from "./pages/orders.js";
import { signInPage } from "./pages/signin.js";
import { trainPage } from "./pages/train.js";
import { transactionPage } from "./pages/transaction.js";

export type Cleanup = () => void;
export type Render = (main: HTMLElement, route: Route) => Cleanup | void;

export interface PageEntry {
  /** First path segment of the hash route. */
  page: string;
  /** Menu text and <title> part; undefined: not in the menu. */
  title: string;
  inMenu: boolean;
  /** In the menu only when an operator is signed in. */
  operatorOnly?: boolean;
  render: Render;
}

export const PAGES: PageEntry[] = [
  { page: "", title: "Home", inMenu: false, render: homePage },
  { page: "event", title: "Seats", inMenu: true, render: eventPage },
  { page: "flash", title: "Flash sale", inMenu: true, render: flashPage },
  { page: "netcafe", title: "Net café", inMenu: true, render: netcafePage },
  { page: "train", title: "Train", inMenu: true, render: trainPage },
  { page: "orders", title: "My orders", inMenu: true, render: ordersPage },
  { page: "ops", title: "Console", inMenu: true, operatorOnly: true, render: consolePage },
  { page: "txn", title: "Transaction", inMenu: false, operatorOnly: true, render: transactionPage },
  {
    page: "catalogue",
    title: "Catalogue",
    inMenu: true,
    operatorOnly: true,
    render: cataloguePage,
  },
  { page: "signin", title: "Sign in", inMenu: true, render: signInPage },
];
