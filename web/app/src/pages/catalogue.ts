// The operator console's catalogue page (#/catalogue): forms that create a
// SKU (Inventory.CreateSku), an event with its seat sections
// (Seat.CreateEvent), a net-cafe venue with one zone (Booking.CreateVenue)
// and a train run with one class (Booking.CreateRun), and a form that
// reconciles a SKU, an event, a venue or a run (the services' Reconcile:
// Redis gates compared with PostgreSQL and repaired). Each form says in
// words what was created or found, or why it was refused.
import { timestampFromMs } from "@bufbuild/protobuf/wkt";

import { api } from "../api.js";
import { field, h, replace, select } from "../dom.js";
import { operatorErrorText } from "../errors.js";
import {
  parseAmount,
  parseCount,
  parseMinuteOfDay,
  parsePackages,
  parseSections,
  parseStops,
  parseUtcDateTime,
  type Parsed,
} from "../logic/catalogue.js";
import { routeHref } from "../logic/route.js";
import { opsNav, requireOperator } from "./opsguard.js";

class FormError extends Error {}

/** The value, or throws the parse error's sentence (caught by the form). */
function must<T>(parsed: Parsed<T>): T {
  if ("error" in parsed) throw new FormError(parsed.error);
  return parsed.value;
}

function text(input: HTMLInputElement | HTMLTextAreaElement, what: string): string {
  const value = input.value.trim();
  if (!value) throw new FormError(`${what}: required.`);
  return value;
}

/** A form with a heading, fields, a submit button and its result line. */
function opsForm(
  id: string,
  title: string,
  fields: HTMLElement[],
  submit: string,
  run: () => Promise<string | HTMLElement>,
): HTMLElement {
  const result = h("p", { role: "status", id: `${id}-result`, class: "result" });
  const button = h("button", { type: "submit" }, submit);
  return h(
    "form",
    {
      id,
      "aria-labelledby": `${id}-heading`,
      class: "ops-form",
      onSubmit: async (event: Event) => {
        event.preventDefault();
        button.disabled = true;
        result.dataset.outcome = "";
        replace(result, "Working…");
        try {
          replace(result, await run());
          result.dataset.outcome = "ok";
        } catch (error) {
          replace(result, error instanceof FormError ? error.message : operatorErrorText(error));
          result.dataset.outcome = "refused";
        } finally {
          button.disabled = false;
        }
      },
    },
    h("h2", { id: `${id}-heading` }, title),
    fields,
    button,
    result,
  );
}

const input = (id: string, value = "", extra: Record<string, unknown> = {}) =>
  h("input", { id, value, ...extra });
const area = (id: string, value: string) => h("textarea", { id, rows: 3, cols: 40 }, value);

function skuForm(): HTMLElement {
  const id = input("sku-id");
  const name = input("sku-name");
  const currency = input("sku-currency", "EUR", { size: 3 });
  const price = input("sku-price", "", { inputmode: "decimal" });
  const stock = input("sku-stock", "100", { inputmode: "numeric" });
  const limit = input("sku-limit", "0", { inputmode: "numeric" });
  return opsForm(
    "create-sku",
    "New product (SKU)",
    [
      field("SKU id", id),
      field("Name", name),
      field("Currency", currency),
      field("Price", price),
      field("Stock", stock),
      field("Per-buyer limit (0 = none)", limit),
    ],
    "Create SKU",
    async () => {
      const sku = await api.inventory.createSku({
        skuId: text(id, "SKU id"),
        name: text(name, "Name"),
        price: {
          currency: text(currency, "Currency").toUpperCase(),
          minorUnits: must(parseAmount(price.value)),
        },
        stock: BigInt(must(parseCount(stock.value, "Stock", 0, 1_000_000_000))),
        perUserLimit: must(parseCount(limit.value, "Per-buyer limit", 0, 1_000_000)),
      });
      return `Created SKU ${sku.skuId} (${sku.name}).`;
    },
  );
}

function eventForm(): HTMLElement {
  const id = input("event-id");
  const name = input("event-name");
  const starts = input("event-starts", "", { placeholder: "2026-12-24 20:00" });
  const currency = input("event-currency", "EUR", { size: 3 });
  const sections = area("event-sections", "A 2x5 15.00");
  return opsForm(
    "create-event",
    "New event",
    [
      field("Event id", id),
      field("Name", name),
      field("Starts at (UTC)", starts),
      field("Currency", currency),
      field("Sections (name rows x seats price, one a line)", sections),
    ],
    "Create event",
    async () => {
      const event = await api.seat.createEvent({
        eventId: text(id, "Event id"),
        name: text(name, "Name"),
        startsAt: timestampFromMs(must(parseUtcDateTime(starts.value, "Starts at"))),
        currency: text(currency, "Currency").toUpperCase(),
        sections: must(parseSections(sections.value)),
      });
      return h(
        "span",
        {},
        `Created event ${event.eventId}: `,
        h("a", { href: routeHref("event", event.eventId) }, "its seat map"),
        ".",
      );
    },
  );
}

function venueForm(): HTMLElement {
  const id = input("venue-id");
  const name = input("venue-name");
  const zoneName = input("venue-tz", "UTC");
  const currency = input("venue-currency", "EUR", { size: 3 });
  const opens = input("venue-opens", "10:00");
  const closes = input("venue-closes", "22:00");
  const slot = input("venue-slot", "60", { inputmode: "numeric" });
  const zone = input("venue-zone", "std");
  const perHour = input("venue-hour-price", "3.00", { inputmode: "decimal" });
  const machines = input("venue-machines", "m1 m2");
  const packages = input("venue-packages", "2h=5.00 4h=9.00");
  return opsForm(
    "create-venue",
    "New net-café venue (one zone)",
    [
      field("Venue id", id),
      field("Name", name),
      field("Time zone", zoneName),
      field("Currency", currency),
      field("Opens (local)", opens),
      field("Closes (local)", closes),
      field("Slot minutes", slot),
      field("Zone id", zone),
      field("Price per hour", perHour),
      field("Machines (space-separated ids)", machines),
      field("Packages (hours=price)", packages),
    ],
    "Create venue",
    async () => {
      const zoneId = text(zone, "Zone id");
      const venue = await api.booking.createVenue({
        venueId: text(id, "Venue id"),
        name: text(name, "Name"),
        timeZone: text(zoneName, "Time zone"),
        currency: text(currency, "Currency").toUpperCase(),
        openingMinute: must(parseMinuteOfDay(opens.value, "Opens")),
        closingMinute: must(parseMinuteOfDay(closes.value, "Closes")),
        slotMinutes: must(parseCount(slot.value, "Slot minutes", 1, 1440)),
        zones: [
          {
            zoneId,
            name: zoneId,
            pricePerHourMinorUnits: must(parseAmount(perHour.value, "Price per hour")),
            packages: must(parsePackages(packages.value)),
            machineIds: text(machines, "Machines")
              .split(/[\s,]+/)
              .filter(Boolean),
          },
        ],
      });
      return h(
        "span",
        {},
        `Created venue ${venue.venueId}: `,
        h("a", { href: routeHref("netcafe", venue.venueId) }, "book it"),
        ".",
      );
    },
  );
}

function runForm(): HTMLElement {
  const train = input("run-train");
  const date = input("run-date", "", { placeholder: "2026-12-24" });
  const currency = input("run-currency", "EUR", { size: 3 });
  const stops = area("run-stops", "North 08:00\nMiddle 08:30\nSouth 09:00");
  const cls = input("run-class", "second");
  const perLeg = input("run-leg-price", "2.00", { inputmode: "decimal" });
  const seats = input("run-seats", "20", { inputmode: "numeric" });
  return opsForm(
    "create-run",
    "New train run (one class, one car)",
    [
      field("Train number", train),
      field("Service date", date),
      field("Currency", currency),
      field("Stops (station HH:MM in UTC, one a line)", stops),
      field("Class id", cls),
      field("Price per leg", perLeg),
      field("Seats in car 1", seats),
    ],
    "Create run",
    async () => {
      const classId = text(cls, "Class id");
      const run = await api.booking.createRun({
        trainNumber: text(train, "Train number"),
        serviceDate: text(date, "Service date"),
        currency: text(currency, "Currency").toUpperCase(),
        stops: must(parseStops(stops.value, date.value.trim())).map((s) => ({
          station: s.station,
          departsAt: timestampFromMs(s.departsAtMs),
        })),
        classes: [
          { classId, pricePerLegMinorUnits: must(parseAmount(perLeg.value, "Price per leg")) },
        ],
        cars: [{ car: 1, classId, seats: must(parseCount(seats.value, "Seats", 1, 200)) }],
      });
      return h(
        "span",
        {},
        `Created run ${run.runId}: `,
        h("a", { href: routeHref("train", run.runId) }, "book it"),
        ".",
      );
    },
  );
}

function found(
  checked: string,
  rebuilt: string,
  fixes: bigint,
  differences: string[],
): HTMLElement {
  return h(
    "span",
    {},
    `${checked}; ${rebuilt}; ${fixes === 0n ? "no difference to fix" : `${fixes} difference(s) fixed`}.`,
    differences.length
      ? h(
          "ul",
          { "aria-label": "Differences" },
          differences.slice(0, 20).map((d) => h("li", {}, d)),
        )
      : null,
  );
}

function reconcileForm(): HTMLElement {
  let kind = "sku";
  const kindSelect = select(
    "reconcile-kind",
    [
      ["sku", "a SKU (inventory)"],
      ["event", "an event (seats)"],
      ["venue", "a venue (net café)"],
      ["run", "a train run"],
    ],
    kind,
    (value) => (kind = value),
  );
  const id = input("reconcile-id", "", { placeholder: "empty = all SKUs / all events" });
  return opsForm(
    "reconcile",
    "Reconcile",
    [field("What", kindSelect), field("Id", id)],
    "Reconcile",
    async () => {
      const target = id.value.trim();
      switch (kind) {
        case "sku": {
          const r = await api.inventory.reconcile({ skuId: target });
          return found(
            `${r.skusChecked} SKU(s) checked`,
            `${r.keysRebuilt} gate(s) rebuilt`,
            r.fixes,
            r.differences,
          );
        }
        case "event": {
          const r = await api.seat.reconcile({ eventId: target });
          return found(
            `${r.eventsChecked} event(s) checked`,
            `${r.keysRebuilt} gate(s) rebuilt`,
            r.fixes,
            r.differences,
          );
        }
        case "venue":
        case "run": {
          if (!target) throw new FormError(`Id: the ${kind} to reconcile.`);
          const r = await api.booking.reconcile(
            kind === "venue" ? { venueId: target } : { runId: target },
          );
          return found(
            `${r.gatesChecked} gate(s) checked`,
            `${r.gatesRebuilt} rebuilt`,
            r.fixes,
            r.differences,
          );
        }
      }
      throw new FormError("Choose what to reconcile.");
    },
  );
}

export function cataloguePage(main: HTMLElement): void {
  const alert = h("p", { role: "alert", class: "alert", id: "catalogue-error" });
  main.append(h("h1", {}, "Catalogue and reconcile"), opsNav("catalogue"), alert);
  if (!requireOperator(alert)) return;
  main.append(
    h(
      "div",
      { class: "ops-forms" },
      reconcileForm(),
      skuForm(),
      eventForm(),
      venueForm(),
      runForm(),
    ),
  );
}
