import { describe, expect, it } from "vitest";

import { parseRoute, routeHref } from "../src/logic/route.js";

describe("hash routes", () => {
  it("parses page, arguments and query", () => {
    const route = parseRoute("#/event/E%201?window=3");
    expect(route.page).toBe("event");
    expect(route.args).toEqual(["E 1"]);
    expect(route.query.get("window")).toBe("3");
    expect(parseRoute("").page).toBe("");
    expect(parseRoute("#/train/G1:2026-12-24").args).toEqual(["G1:2026-12-24"]);
  });
  it("round-trips links", () => {
    expect(parseRoute(routeHref("orders", "a/b")).args).toEqual(["a/b"]);
  });
});
