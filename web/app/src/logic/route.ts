// The hash router's parsing: "#/event/E1?window=3" -> page "event", args
// ["E1"], query {window: "3"}. Pages link with routeHref.

export interface Route {
  page: string;
  args: string[];
  query: URLSearchParams;
}

export function parseRoute(hash: string): Route {
  const text = hash.replace(/^#\/?/, "");
  const [path, search = ""] = text.split("?", 2);
  const [page = "", ...args] = path.split("/").filter(Boolean).map(decodeURIComponent);
  return { page, args, query: new URLSearchParams(search) };
}

export function routeHref(page: string, ...args: string[]): string {
  return `#/${[page, ...args].map(encodeURIComponent).join("/")}`;
}
