// Who is signed in: the bearer token and its user, kept in localStorage
// under "turnstile.session" as {token, user, admin, expiresAt (unix s)}.
// The E2E tests put a token they signed there before opening a page.

export interface Session {
  token: string;
  user: string;
  admin: boolean;
  expiresAt: number;
}

const KEY = "turnstile.session";

export function loadSession(now = Date.now()): Session | undefined {
  try {
    const session = JSON.parse(localStorage.getItem(KEY) ?? "null") as Session | null;
    if (!session?.token || (session.expiresAt && session.expiresAt * 1000 <= now)) return undefined;
    return session;
  } catch {
    return undefined;
  }
}

export function saveSession(session: Session): void {
  localStorage.setItem(KEY, JSON.stringify(session));
}

export function clearSession(): void {
  localStorage.removeItem(KEY);
}

/**
 * Asks the gateway's dev-only endpoint (flag --dev_token_endpoint, on in
 * ./run) for a token: POST /dev/token {"user","admin"} ->
 * {"token","expires_at"}.
 */
export async function devSignIn(user: string, admin: boolean): Promise<Session> {
  let response: Response;
  try {
    response = await fetch(new URL("/dev/token", location.origin), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ user, admin }),
    });
  } catch {
    throw new Error("The gateway did not answer.");
  }
  if (response.status === 404) {
    throw new Error("Dev sign-in is off on this gateway (it needs --dev_token_endpoint).");
  }
  if (!response.ok) throw new Error(`Sign-in was refused (HTTP ${response.status}).`);
  const body = (await response.json()) as { token?: string; expires_at?: number };
  if (!body.token) throw new Error("The gateway answered without a token.");
  return { token: body.token, user, admin, expiresAt: body.expires_at ?? 0 };
}
