// Catalogue set-up for the UI tests through the gateway with an operator
// token, as an operator would: an event with a seat map, a net-cafe venue,
// a train run of ten stops, and buyers with money (../../gateway/lib).
import { createClient } from "@connectrpc/connect";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";

import { Booking } from "../../../src/gen/turnstile/v1/booking_pb.js";
import { auth, clients, gatewayTransport } from "../../gateway/lib/clients.mjs";
import { CURRENCY } from "../../gateway/lib/fixtures.mjs";
import { uniqueId } from "../../gateway/lib/tokens.mjs";

const DAY_MS = 86_400_000;

/** Tomorrow's UTC date, "YYYY-MM-DD" (always in the future, whatever the hour). */
export function tomorrow() {
  return new Date(Date.now() + DAY_MS).toISOString().slice(0, 10);
}

/** An event of two sections (A: 2 x 5 at 15.00, B: 1 x 4 at 9.00). Returns its id. */
export async function newEvent(admin) {
  const eventId = uniqueId("ev");
  await clients().seat.createEvent(
    {
      eventId,
      name: "UI test concert",
      startsAt: timestampFromMs(Date.now() + 7 * DAY_MS),
      currency: CURRENCY,
      sections: [
        { name: "A", rows: 2, seatsPerRow: 5, priceMinorUnits: 1500n },
        { name: "B", rows: 1, seatsPerRow: 4, priceMinorUnits: 900n },
      ],
    },
    auth(admin),
  );
  return eventId;
}

/** A venue open 10:00-22:00 UTC in 1-hour slots, zone "std" with m1, m2 and packages 2h/4h. */
export async function newVenue(admin) {
  const venueId = uniqueId("cafe");
  await createClient(Booking, gatewayTransport()).createVenue(
    {
      venueId,
      name: "UI test café",
      timeZone: "UTC",
      currency: CURRENCY,
      openingMinute: 600,
      closingMinute: 1320,
      slotMinutes: 60,
      zones: [
        {
          zoneId: "std",
          name: "Standard",
          pricePerHourMinorUnits: 300n,
          packages: [
            { packageId: "2h", hours: 2, priceMinorUnits: 500n },
            { packageId: "4h", hours: 4, priceMinorUnits: 900n },
          ],
          machineIds: ["m1", "m2"],
        },
      ],
    },
    auth(admin),
  );
  return venueId;
}

/** A run tomorrow with stops 0..9, class "second" in car 1 (20 seats). Returns its id. */
export async function newRun(admin) {
  const trainNumber = `U${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`.slice(0, 16);
  const serviceDate = tomorrow();
  const start = Date.parse(`${serviceDate}T08:00:00Z`);
  const run = await createClient(Booking, gatewayTransport()).createRun(
    {
      trainNumber,
      serviceDate,
      currency: CURRENCY,
      stops: Array.from({ length: 10 }, (_, i) => ({
        station: `Station ${i}`,
        departsAt: timestampFromMs(start + i * 30 * 60_000),
      })),
      classes: [{ classId: "second", pricePerLegMinorUnits: 200n }],
      cars: [{ car: 1, classId: "second", seats: 20 }],
    },
    auth(admin),
  );
  return run.runId;
}
