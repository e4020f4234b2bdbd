// Sign in: the local stack's dev form (a token from the gateway's dev-only
// endpoint for any user id, optionally an operator), or a token pasted from
// elsewhere (e.g. `./run ctl token`).
import { h } from "../dom.js";
import { routeHref } from "../logic/route.js";
import { devSignIn, saveSession, type Session } from "../session.js";

function done(session: Session): void {
  saveSession(session);
  location.hash = routeHref("");
  window.dispatchEvent(new Event("turnstile:session"));
}

/** The JWT's sub and exp, read without verifying (the gateway verifies). */
function claimsOf(token: string): { sub?: string; exp?: number; roles?: string[] } {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(payload)) as { sub?: string; exp?: number; roles?: string[] };
  } catch {
    return {};
  }
}

export function signInPage(main: HTMLElement): void {
  const status = h("p", { role: "alert", class: "alert", id: "signin-error" });
  const user = h("input", {
    id: "signin-user",
    name: "user",
    required: true,
    autocomplete: "username",
  });
  const admin = h("input", { id: "signin-admin", type: "checkbox" });
  const token = h("textarea", { id: "signin-token", rows: 3, cols: 60 });
  main.append(
    h("h1", {}, "Sign in"),
    status,
    h(
      "form",
      {
        "aria-labelledby": "dev-heading",
        onSubmit: async (event: Event) => {
          event.preventDefault();
          status.textContent = "";
          try {
            done(await devSignIn(user.value.trim(), admin.checked));
          } catch (error) {
            status.textContent = (error as Error).message;
          }
        },
      },
      h("h2", { id: "dev-heading" }, "Local stack"),
      h("p", { class: "muted" }, "Any user id; the gateway's dev endpoint signs a token for it."),
      h("div", { class: "field" }, h("label", { for: "signin-user" }, "User id"), user),
      h("div", {}, admin, " ", h("label", { for: "signin-admin" }, "Operator (admin role)")),
      h("button", { type: "submit" }, "Sign in"),
    ),
    h(
      "form",
      {
        "aria-labelledby": "token-heading",
        onSubmit: (event: Event) => {
          event.preventDefault();
          const value = token.value.trim();
          const claims = claimsOf(value);
          if (!claims.sub) {
            status.textContent = "That is not a token (a JWT has three parts separated by dots).";
            return;
          }
          done({
            token: value,
            user: claims.sub,
            admin: claims.roles?.includes("admin") ?? false,
            expiresAt: claims.exp ?? 0,
          });
        },
      },
      h("h2", { id: "token-heading" }, "With a token"),
      h("div", { class: "field" }, h("label", { for: "signin-token" }, "Bearer token"), token),
      h("button", { type: "submit" }, "Use this token"),
    ),
  );
}
