// The test page's one job: PlaceOrder (pay_now) through the gateway from a
// real browser, with either client, and show what came back.
//
// Query string: token (a buyer JWT; omitted = no authorization header), sku,
// quantity (default 1), request_id (default random), gateway (base URL;
// default this page's origin, so a page served elsewhere makes the call
// cross-origin) and client:
//   connect        @connectrpc/connect-web's gRPC-web transport (binary;
//                  it does not speak application/grpc-web-text)
//   grpc-web-text  Google's grpc-web runtime in text mode (base64 bodies),
//                  with protobuf-es doing the (de)serialisation, since
//                  protoc-gen-grpc-web cannot be installed here
// #state gets the order state's name (e.g. PAID); #error gets
// "<numeric gRPC code> <ErrorInfo reason>"; body[data-done] is set when the
// call has finished either way.
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { base64Decode } from "@bufbuild/protobuf/wire";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import * as grpcWeb from "grpc-web";

import { ErrorInfoSchema } from "../../../src/gen/google/rpc/error_details_pb.js";
import { StatusSchema } from "../../../src/gen/google/rpc/status_pb.js";
import {
  Order,
  OrderState,
  PlaceOrderRequestSchema,
  PlaceOrderResponseSchema,
  type PlaceOrderRequest,
  type PlaceOrderResponse,
} from "../../../src/gen/turnstile/v1/order_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { create } from "@bufbuild/protobuf";

const params = new URLSearchParams(location.search);
const token = params.get("token") ?? "";
const baseUrl = params.get("gateway") ?? location.origin;
const client = params.get("client") ?? "connect";

function show(id: string, text: string): void {
  const element = document.getElementById(id);
  if (element) element.textContent = text;
}

// Not crypto.randomUUID: a page on plain http under another host name is
// no secure context and lacks it.
function randomId(): string {
  return `page-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

const request: MessageInitShape<typeof PlaceOrderRequestSchema> = {
  requestId: params.get("request_id") ?? randomId(),
  lines: [
    {
      skuId: params.get("sku") ?? "",
      quantity: BigInt(params.get("quantity") ?? "1"),
    },
  ],
  payNow: true,
};

function authHeaders(): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

// The ErrorInfo reason inside a grpc-status-details-bin value (base64 of a
// google.rpc.Status), or "" if there is none.
function reasonOfDetails(value: string | undefined): string {
  if (!value) return "";
  const status = fromBinary(StatusSchema, base64Decode(value));
  for (const detail of status.details) {
    const info = anyUnpack(detail, ErrorInfoSchema);
    if (info) return info.reason;
  }
  return "";
}

async function viaConnect(): Promise<PlaceOrderResponse> {
  const transport = createGrpcWebTransport({ baseUrl });
  const orders = createClient(Order, transport);
  return orders.placeOrder(request, { headers: authHeaders() });
}

async function viaGrpcWebText(): Promise<PlaceOrderResponse> {
  const base = new grpcWeb.GrpcWebClientBase({ format: "text" });
  // The constructors are only a type witness for grpc-web; protobuf-es
  // messages are plain objects made by the two functions after them.
  const descriptor = new grpcWeb.MethodDescriptor<PlaceOrderRequest, PlaceOrderResponse>(
    "/turnstile.v1.Order/PlaceOrder",
    grpcWeb.MethodType.UNARY,
    Object as unknown as new () => PlaceOrderRequest,
    Object as unknown as new () => PlaceOrderResponse,
    (message: PlaceOrderRequest) => toBinary(PlaceOrderRequestSchema, message),
    (bytes: Uint8Array) => fromBinary(PlaceOrderResponseSchema, bytes),
  );
  return base.unaryCall(
    `${baseUrl}/turnstile.v1.Order/PlaceOrder`,
    create(PlaceOrderRequestSchema, request),
    authHeaders(),
    descriptor,
  );
}

function describeError(error: unknown): string {
  if (error instanceof ConnectError) {
    const info = error.findDetails(ErrorInfoSchema)[0];
    return `${error.code} ${info?.reason ?? ""}`.trim();
  }
  if (error instanceof grpcWeb.RpcError) {
    const reason = reasonOfDetails(error.metadata?.["grpc-status-details-bin"]);
    return `${error.code} ${reason}`.trim();
  }
  return `? ${String(error)}`;
}

async function main(): Promise<void> {
  show("client", client);
  try {
    let response: PlaceOrderResponse;
    if (client === "connect") {
      response = await viaConnect();
    } else if (client === "grpc-web-text") {
      response = await viaGrpcWebText();
    } else {
      throw new Error(`unknown client ${client}`);
    }
    const state = response.order?.state ?? OrderState.UNSPECIFIED;
    show("state", OrderState[state] ?? String(state));
  } catch (error) {
    show("error", describeError(error));
  } finally {
    document.body.dataset.done = "1";
  }
}

void main();
