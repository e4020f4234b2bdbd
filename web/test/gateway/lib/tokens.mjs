// JWTs for the tests, signed with jose: HS256 with the gateway's secret file
// (the launcher's JWT_HS256_SECRET_FILE) unless a test brings its own key,
// and ids unique per test so that no two tests share a user, a SKU or a
// rate-limit bucket.
import { readFileSync } from "node:fs";
import { SignJWT } from "jose";

import { env } from "./env.mjs";

let secret;
/** The HS256 secret: the file's bytes less one trailing newline. */
export function hs256Secret() {
  if (!secret) {
    let bytes = readFileSync(env.hs256SecretFile);
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === 0x0a) end--;
    if (end > 0 && bytes[end - 1] === 0x0d) end--;
    secret = new Uint8Array(bytes.subarray(0, end));
  }
  return secret;
}

let counter = 0;
/**
 * An id of [A-Za-z0-9_.:@-], unique across test files and runs: usable as a
 * JWT sub, SKU id or request id (at most 64 characters).
 * @param {string} prefix
 */
export function uniqueId(prefix) {
  const id = `${prefix}-${process.pid}-${Date.now().toString(36)}-${(counter++).toString(36)}`;
  if (id.length > 64) throw new Error(`id too long: ${id}`);
  return id;
}

const now = () => Math.floor(Date.now() / 1000);

/**
 * Signs a token. Defaults: HS256 with the gateway's secret, the launcher's
 * issuer and audience, iat now, exp in 10 minutes, no roles.
 * @param {object} o
 * @param {string} o.sub
 * @param {string[]} [o.roles]
 * @param {string} [o.iss]
 * @param {string | string[]} [o.aud]
 * @param {number} [o.exp] seconds since the epoch
 * @param {number} [o.nbf] seconds since the epoch
 * @param {number} [o.iat] seconds since the epoch
 * @param {string} [o.alg]
 * @param {string} [o.kid]
 * @param {Uint8Array | CryptoKey | import("jose").KeyObject} [o.key]
 */
export async function signToken({
  sub,
  roles = [],
  iss = env.issuer,
  aud = env.audience,
  exp = now() + 600,
  nbf,
  iat = now(),
  alg = "HS256",
  kid,
  key,
}) {
  const header = kid === undefined ? { alg, typ: "JWT" } : { alg, typ: "JWT", kid };
  const jwt = new SignJWT({ roles })
    .setProtectedHeader(header)
    .setSubject(sub)
    .setIssuer(iss)
    .setAudience(aud)
    .setIssuedAt(iat)
    .setExpirationTime(exp);
  if (nbf !== undefined) jwt.setNotBefore(nbf);
  return jwt.sign(key ?? hs256Secret());
}

/** An operator: roles ["admin"]. */
export function adminToken(sub = uniqueId("admin")) {
  return signToken({ sub, roles: ["admin"] });
}

/** A buyer: no roles. */
export function buyerToken(sub) {
  return signToken({ sub });
}

/** base64url of a string or bytes, for hand-built tokens. */
export function base64url(data) {
  return Buffer.from(data).toString("base64url");
}
