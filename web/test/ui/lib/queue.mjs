// The waiting room (waiting_room.proto, served by the gateway itself) from
// Node for the UI tests: the operator's ConfigureQueue, a buyer's
// JoinQueue/GetTicket, and PlaceOrder with or without a pass, all as direct
// gRPC-web calls through connect-web, the way web/test/gateway calls.
import { createClient } from "@connectrpc/connect";
import { timestampMs } from "@bufbuild/protobuf/wkt";

import { WaitingRoom } from "../../../src/gen/turnstile/v1/waiting_room_pb.js";
import { auth, clients, gatewayTransport } from "../../gateway/lib/clients.mjs";
import { payNowRequest } from "../../gateway/lib/fixtures.mjs";

export function waitingRoom() {
  return createClient(WaitingRoom, gatewayTransport());
}

/**
 * Queues `skuId` (operator token `admin`).
 * @param {{rate: number, maxLength?: number, passTtlSeconds?: number}} o
 */
export function queueSku(admin, skuId, { rate, maxLength = 100, passTtlSeconds = 60 }) {
  return waitingRoom().configureQueue(
    { product: { skuId }, enabled: true, admitPerSecond: rate, maxLength, passTtlSeconds },
    auth(admin),
  );
}

/** The buyer's ticket once admitted (asking every 100 ms, at most `timeoutMs`). */
export async function admittedTicket(buyer, skuId, { timeoutMs = 20_000 } = {}) {
  const room = waitingRoom();
  let ticket = await room.joinQueue({ product: { skuId } }, auth(buyer.token));
  const deadline = Date.now() + timeoutMs;
  while (!ticket.admitted) {
    if (Date.now() > deadline) throw new Error(`not admitted in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    ticket = await room.getTicket({ product: { skuId } }, auth(buyer.token));
  }
  return { ...ticket, passExpiresAtMs: timestampMs(ticket.passExpiresAt) };
}

/** A pay_now PlaceOrder of one unit as `buyer`, with `pass` as x-turnstile-pass if given. */
export function placeWithPass(buyer, skuId, pass) {
  const options = auth(buyer.token);
  if (pass) options.headers["x-turnstile-pass"] = pass;
  return clients().order.placeOrder(payNowRequest(skuId), options);
}
