// Token checks at the edge, with tokens made by jose (and two by hand):
// every way a token can be wrong is UNAUTHENTICATED with its reason, keys
// from the JWKS file are picked up when the file changes, an operator RPC
// needs the admin role, and catalogue reads need no token.
import assert from "node:assert/strict";
import { createPublicKey } from "node:crypto";
import { renameSync, writeFileSync } from "node:fs";
import { test } from "node:test";
import { Code } from "@connectrpc/connect";
import { exportJWK, exportSPKI, generateKeyPair } from "jose";

import { auth, clients, expectConnectError } from "./lib/clients.mjs";
import { env } from "./lib/env.mjs";
import { deposit, newSku } from "./lib/fixtures.mjs";
import {
  adminToken,
  base64url,
  buyerToken,
  hs256Secret,
  signToken,
  uniqueId,
} from "./lib/tokens.mjs";

// Every test ends by itself, whatever the gateway does.
const bounded = { timeout: 60_000 };

const now = () => Math.floor(Date.now() / 1000);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// A buyer RPC that is not the rate-limited one, so that many calls are fine.
const buyerCall = (token) => clients().order.listOrders({ pageSize: 1 }, auth(token));

/** Expects UNAUTHENTICATED with one of `reasons` for `token`. */
async function refused(token, reasons) {
  return expectConnectError(buyerCall(token), Code.Unauthenticated, reasons);
}

test("a valid HS256 token is accepted", bounded, async () => {
  const result = await buyerCall(await buyerToken(uniqueId("jwt-ok")));
  assert.deepEqual(result.orders, []);
});

test("expired and not yet valid tokens: UNAUTHENTICATED", bounded, async () => {
  const sub = uniqueId("jwt-time");
  // An hour either way: far beyond any clock skew allowance.
  await refused(await signToken({ sub, iat: now() - 7200, exp: now() - 3600 }), "TOKEN_EXPIRED");
  await refused(
    await signToken({ sub, nbf: now() + 3600, exp: now() + 7200 }),
    "TOKEN_NOT_YET_VALID",
  );
});

test("wrong issuer, wrong audience: UNAUTHENTICATED", bounded, async () => {
  const sub = uniqueId("jwt-claims");
  await refused(await signToken({ sub, iss: `${env.issuer}-other` }), "TOKEN_BAD_ISSUER");
  await refused(await signToken({ sub, aud: `${env.audience}-other` }), "TOKEN_BAD_AUDIENCE");
  await refused(await signToken({ sub, aud: ["someone-else", "another"] }), "TOKEN_BAD_AUDIENCE");
  // aud may be an array that includes ours.
  assert.deepEqual(
    (await buyerCall(await signToken({ sub, aud: ["someone-else", env.audience] }))).orders,
    [],
  );
});

test("bad signatures: UNAUTHENTICATED TOKEN_BAD_SIGNATURE", bounded, async () => {
  const sub = uniqueId("jwt-sig");
  const otherSecret = new TextEncoder().encode("not-the-gateway-secret-0123456789abcdef");
  await refused(await signToken({ sub, key: otherSecret }), "TOKEN_BAD_SIGNATURE");
  // A valid token with one claim changed after signing.
  const [header, , signature] = (await signToken({ sub })).split(".");
  const forged = base64url(
    JSON.stringify({ sub, roles: ["admin"], iss: env.issuer, aud: env.audience, exp: now() + 600 }),
  );
  await refused(`${header}.${forged}.${signature}`, "TOKEN_BAD_SIGNATURE");
});

test("alg none and malformed tokens: UNAUTHENTICATED", bounded, async () => {
  const sub = uniqueId("jwt-none");
  const claims = base64url(
    JSON.stringify({ sub, iss: env.issuer, aud: env.audience, exp: now() + 600, roles: ["admin"] }),
  );
  for (const alg of ["none", "None", "NONE"]) {
    const header = base64url(JSON.stringify({ alg, typ: "JWT" }));
    await refused(`${header}.${claims}.`, ["TOKEN_ALG_REFUSED", "TOKEN_MALFORMED"]);
  }
  // HS512 is a real algorithm, but not one the gateway accepts.
  const hs512 = await signToken({ sub, alg: "HS512", key: hs256Secret() });
  await refused(hs512, "TOKEN_ALG_REFUSED");
  for (const token of ["not-a-jwt", "a.b", "a.b.c.d", "....", "!!.??.**"]) {
    await refused(token, "TOKEN_MALFORMED");
  }
  // A header that is JSON but names no algorithm.
  await refused(`${claims}.${claims}.${claims}`, ["TOKEN_MALFORMED", "TOKEN_ALG_REFUSED"]);
  // A sub outside 1-64 chars of [A-Za-z0-9_.:@-] names no user.
  await expectConnectError(buyerCall(await signToken({ sub: "has space" })), Code.Unauthenticated);
  await expectConnectError(
    buyerCall(await signToken({ sub: "x".repeat(65) })),
    Code.Unauthenticated,
  );
});

// Writes the JWKS file the way a deployment rotates it: a new file renamed
// over the old one.
function writeJwks(keys) {
  const path = env.jwksFile;
  const next = `${path}.${process.pid}.tmp`;
  writeFileSync(next, JSON.stringify({ keys }));
  renameSync(next, path);
}

// Polls until `token` is accepted (the gateway re-reads the JWKS file within
// a second of a change), for at most `ms`.
async function acceptedWithin(token, ms) {
  const until = Date.now() + ms;
  for (;;) {
    try {
      await buyerCall(token);
      return;
    } catch (error) {
      if (Date.now() > until) throw error;
      await sleep(200);
    }
  }
}

test(
  "JWKS: RS256 and ES256 keys accepted; HS256 with the RSA public key refused",
  bounded,
  async () => {
    const rsa = await generateKeyPair("RS256", { extractable: true });
    const ec = await generateKeyPair("ES256", { extractable: true });
    const rsaKid = uniqueId("rsa");
    const ecKid = uniqueId("ec");
    writeJwks([
      { ...(await exportJWK(rsa.publicKey)), kid: rsaKid, alg: "RS256", use: "sig" },
      { ...(await exportJWK(ec.publicKey)), kid: ecKid, alg: "ES256", use: "sig" },
    ]);

    const rsaUser = uniqueId("jwt-rs");
    const ecUser = uniqueId("jwt-es");
    const rsaToken = await signToken({
      sub: rsaUser,
      alg: "RS256",
      kid: rsaKid,
      key: rsa.privateKey,
    });
    const ecToken = await signToken({ sub: ecUser, alg: "ES256", kid: ecKid, key: ec.privateKey });
    await acceptedWithin(rsaToken, 3000);
    await acceptedWithin(ecToken, 3000);

    // The subject is who the mesh sees: a wallet made for them reads back as theirs.
    const admin = await adminToken();
    await deposit(admin, rsaUser, 42);
    const wallet = await clients().payment.getWallet({ currency: "EUR" }, auth(rsaToken));
    assert.equal(wallet.userId, rsaUser);
    assert.equal(wallet.balance.minorUnits, 42n);

    // A kid the file does not have.
    const stranger = await generateKeyPair("RS256");
    await refused(
      await signToken({
        sub: rsaUser,
        alg: "RS256",
        kid: uniqueId("nokid"),
        key: stranger.privateKey,
      }),
      "TOKEN_UNKNOWN_KEY",
    );
    // The right kid, signed by another key.
    await refused(
      await signToken({ sub: rsaUser, alg: "RS256", kid: rsaKid, key: stranger.privateKey }),
      "TOKEN_BAD_SIGNATURE",
    );

    // Algorithm confusion: HS256 keyed with the RSA public key's bytes (PEM,
    // as the classic attack does, and DER), naming the RSA kid. A verifier
    // that took the key for the kid and the algorithm from the header would
    // accept these.
    const pem = await exportSPKI(rsa.publicKey);
    const der = createPublicKey(pem).export({ type: "spki", format: "der" });
    for (const secret of [Buffer.from(pem), Buffer.from(pem.trim()), der]) {
      const confused = await signToken({
        sub: rsaUser,
        roles: ["admin"],
        alg: "HS256",
        kid: rsaKid,
        key: secret,
      });
      await refused(confused, ["TOKEN_BAD_SIGNATURE", "TOKEN_ALG_REFUSED", "TOKEN_UNKNOWN_KEY"]);
    }
    // An RS256 token naming the EC key's kid.
    await refused(
      await signToken({ sub: rsaUser, alg: "RS256", kid: ecKid, key: rsa.privateKey }),
      ["TOKEN_ALG_REFUSED", "TOKEN_BAD_SIGNATURE", "TOKEN_UNKNOWN_KEY"],
    );

    // Keys removed from the file stop working.
    writeJwks([]);
    const until = Date.now() + 3000;
    for (;;) {
      try {
        await refused(rsaToken, "TOKEN_UNKNOWN_KEY");
        break;
      } catch (error) {
        if (Date.now() > until) throw error;
        await sleep(200);
      }
    }
  },
);

test("an operator RPC with a buyer token: PERMISSION_DENIED", bounded, async () => {
  const buyer = await buyerToken(uniqueId("jwt-buyer"));
  const { inventory, payment, coordinator } = clients();
  await expectConnectError(
    inventory.createSku(
      { skuId: uniqueId("sku"), name: "x", price: { currency: "EUR", minorUnits: 1n }, stock: 1n },
      auth(buyer),
    ),
    Code.PermissionDenied,
  );
  await expectConnectError(
    payment.deposit(
      {
        userId: uniqueId("u"),
        amount: { currency: "EUR", minorUnits: 1n },
        requestId: uniqueId("r"),
      },
      auth(buyer),
    ),
    Code.PermissionDenied,
  );
  await expectConnectError(coordinator.listTransactions({}, auth(buyer)), Code.PermissionDenied);
  // A role claim with another name is no admin either.
  const almost = await signToken({
    sub: uniqueId("jwt-role"),
    roles: ["Admin", "administrator", "admin "],
  });
  await expectConnectError(coordinator.listTransactions({}, auth(almost)), Code.PermissionDenied);
  // The same call with the admin role goes through.
  await coordinator.listTransactions({ pageSize: 1 }, auth(await adminToken()));
});

test(
  "no token: UNAUTHENTICATED on buyer and operator RPCs, fine on catalogue reads",
  bounded,
  async () => {
    await expectConnectError(buyerCall(""), Code.Unauthenticated, "TOKEN_MISSING");
    await expectConnectError(
      clients().payment.getWallet({ currency: "EUR" }),
      Code.Unauthenticated,
      "TOKEN_MISSING",
    );
    await expectConnectError(
      clients().coordinator.listTransactions({}),
      Code.Unauthenticated,
      "TOKEN_MISSING",
    );
    // An authorization header that is not a bearer token counts as a bad token.
    await expectConnectError(
      clients().order.listOrders({}, { headers: { authorization: "Basic dXNlcjpwYXNz" } }),
      Code.Unauthenticated,
    );

    const sku = await newSku(await adminToken(), { stock: 7 });
    const read = await clients().inventory.getSku({ skuId: sku.skuId });
    assert.equal(read.skuId, sku.skuId);
    assert.equal(read.available, 7n);
    // A bad token is refused even where none is needed.
    await expectConnectError(
      clients().inventory.getSku({ skuId: sku.skuId }, auth("not-a-jwt")),
      Code.Unauthenticated,
      "TOKEN_MALFORMED",
    );
  },
);
