// Test data made through the gateway itself, with an operator token: each
// test file creates its own SKUs, buyers and deposits, so files neither
// share state nor depend on order.
import { auth, clients } from "./clients.mjs";
import { buyerToken, uniqueId } from "./tokens.mjs";

export const CURRENCY = "EUR";

/**
 * A new SKU. Returns the Sku as CreateSku answered it.
 * @param {string} admin an admin token
 * @param {{stock?: number, price?: bigint, perUserLimit?: number, skuId?: string}} [o]
 */
export async function newSku(admin, { stock = 10, price = 100n, perUserLimit = 0, skuId } = {}) {
  const { inventory } = clients();
  return inventory.createSku(
    {
      skuId: skuId ?? uniqueId("sku"),
      name: "gateway e2e",
      price: { currency: CURRENCY, minorUnits: price },
      stock: BigInt(stock),
      perUserLimit,
    },
    auth(admin),
  );
}

/** Adds `minorUnits` to `userId`'s wallet. */
export async function deposit(admin, userId, minorUnits) {
  const { payment } = clients();
  return payment.deposit(
    {
      userId,
      amount: { currency: CURRENCY, minorUnits: BigInt(minorUnits) },
      requestId: uniqueId("deposit"),
    },
    auth(admin),
  );
}

/**
 * A new buyer with `balance` in their wallet (0: no wallet at all).
 * @returns {Promise<{userId: string, token: string}>}
 */
export async function newBuyer(admin, { balance = 100_000n, prefix = "buyer" } = {}) {
  const userId = uniqueId(prefix);
  if (balance > 0n) await deposit(admin, userId, balance);
  return { userId, token: await buyerToken(userId) };
}

/** A pay_now PlaceOrder request for `quantity` units of one SKU. */
export function payNowRequest(skuId, quantity = 1n) {
  return {
    requestId: uniqueId("order"),
    lines: [{ skuId, quantity: BigInt(quantity) }],
    payNow: true,
  };
}
