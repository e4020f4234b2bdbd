// The generated clients over connect-web's gRPC-web transport, pointed at
// the page's own origin (the gateway serves the app), with the signed-in
// user's token as `authorization: Bearer`. The waiting room is served by the
// gateway itself (waiting_room.proto); the coordinator client serves the
// operator console (admin tokens only).
import { createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";

import { Booking } from "../../src/gen/turnstile/v1/booking_pb.js";
import { Coordinator } from "../../src/gen/turnstile/v1/coordinator_pb.js";
import { Inventory } from "../../src/gen/turnstile/v1/inventory_pb.js";
import { Order } from "../../src/gen/turnstile/v1/order_pb.js";
import { Payment } from "../../src/gen/turnstile/v1/payment_pb.js";
import { Seat } from "../../src/gen/turnstile/v1/seat_pb.js";
import { WaitingRoom } from "../../src/gen/turnstile/v1/waiting_room_pb.js";
import { loadSession } from "./session.js";

const bearer: Interceptor = (next) => async (request) => {
  const session = loadSession();
  if (session) request.header.set("authorization", `Bearer ${session.token}`);
  return next(request);
};

const transport = createGrpcWebTransport({
  baseUrl: location.origin,
  interceptors: [bearer],
  defaultTimeoutMs: 15_000,
});

export const api = {
  order: createClient(Order, transport),
  seat: createClient(Seat, transport),
  booking: createClient(Booking, transport),
  payment: createClient(Payment, transport),
  inventory: createClient(Inventory, transport),
  waitingRoom: createClient(WaitingRoom, transport),
  coordinator: createClient(Coordinator, transport),
};

/** A request id for PlaceOrder (not crypto.randomUUID: plain http lacks it off localhost). */
export function requestId(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}
