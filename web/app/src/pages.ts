// The app's pages: one entry per route, in the order of the main menu. A
// page draws into <main> and returns what to stop (timers) when the route
// changes. The operator console (coordinator.proto) joins this list when it
// is built.
import type { Route } from "./logic/route.js";
import { eventPage } from "./pages/event.js";
import { flashPage } from "./pages/flash.js";
import { homePage } from "./pages/home.js";
import { netcafePage } from "./pages/netcafe.js";
import { ordersPage } from "./pages/orders.js";
import { signInPage } from "./pages/signin.js";
import { trainPage } from "./pages/train.js";

export type Cleanup = () => void;
export type Render = (main: HTMLElement, route: Route) => Cleanup | void;

export interface PageEntry {
  /** First path segment of the hash route. */
  page: string;
  /** Menu text and <title> part; undefined: not in the menu. */
  title: string;
  inMenu: boolean;
  render: Render;
}

export const PAGES: PageEntry[] = [
  { page: "", title: "Home", inMenu: false, render: homePage },
  { page: "event", title: "Seats", inMenu: true, render: eventPage },
  { page: "flash", title: "Flash sale", inMenu: true, render: flashPage },
  { page: "netcafe", title: "Net café", inMenu: true, render: netcafePage },
  { page: "train", title: "Train", inMenu: true, render: trainPage },
  { page: "orders", title: "My orders", inMenu: true, render: ordersPage },
  { page: "signin", title: "Sign in", inMenu: true, render: signInPage },
];
