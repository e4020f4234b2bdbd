// Puts a SKU behind the gateway's waiting room (WaitingRoom.ConfigureQueue,
// served only over gRPC-web), for `./run demo`'s flash sale:
//   node web/scripts/queue-sku.mjs <gateway URL> <admin token> <sku> <admissions/s>
// Prints the queue as configured; exits 1 with the refusal in words.
import { createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";

import { WaitingRoom } from "../src/gen/turnstile/v1/waiting_room_pb.js";

const [baseUrl, token, skuId, rate] = process.argv.slice(2);
if (!baseUrl || !token || !skuId || !(Number(rate) > 0)) {
  console.error("usage: queue-sku.mjs <gateway URL> <admin token> <sku> <admissions/s>");
  process.exit(2);
}
const room = createClient(WaitingRoom, createGrpcWebTransport({ baseUrl }));
try {
  const config = await room.configureQueue(
    {
      product: { skuId },
      enabled: true,
      admitPerSecond: Number(rate),
      maxLength: 10000,
      passTtlSeconds: 120,
    },
    { headers: { authorization: `Bearer ${token}` }, timeoutMs: 10_000 },
  );
  console.log(
    `queued ${skuId}: ${config.admitPerSecond} admissions/s, at most ${config.maxLength} waiting, passes valid ${config.passTtlSeconds} s`,
  );
} catch (error) {
  console.error(`could not queue ${skuId}: ${error.message}`);
  process.exit(1);
}
