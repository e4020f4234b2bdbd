// turnstile-order: the client-facing order API and the initiator of every
// order's global transaction; also the participant for the order row itself.
// Migrates its database, then serves turnstile.v1.Order and
// turnstile.v1.Participant on one port until SIGTERM. Reads the Redis stock
// gate (--redis) to refuse sold-out orders before any transaction begins.
// Every pay_now order goes through the coordinator: the coordinator-bypass
// used to measure its cost is a separate binary (bypass_main.cc) that this
// one does not link.
#include "services/order/order_server.h"

int main(int argc, char** argv) {
  return turnstile::order::RunOrderServer(argc, argv, "order");
}
