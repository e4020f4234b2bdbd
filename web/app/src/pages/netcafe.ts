// Net-café booking (#/netcafe/<venue>): zone, machine or "any", venue-day,
// start and package; shows the zone's machines free over that window
// (Booking.FreeMachines) and the free windows of the chosen machine that day
// (Booking.FreeWindows), refreshed every 5 s and after each order; books
// with a slot line (PlaceOrder). Times are the venue's local times.
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";

import type { Venue, ZoneSpec } from "../../../src/gen/turnstile/v1/booking_pb.js";
import { api } from "../api.js";
import { field, h, replace, select } from "../dom.js";
import { errorText } from "../errors.js";
import { formatMoney } from "../logic/money.js";
import type { Route } from "../logic/route.js";
import {
  localDate,
  localTime,
  slotLabel,
  slotStart,
  startSlots,
  type VenueClock,
} from "../logic/slots.js";
import { checkout, idForm } from "./checkout.js";

const REFRESH_MS = 5000;

export function netcafePage(main: HTMLElement, route: Route): () => void {
  const venueId = route.args[0];
  if (!venueId) {
    main.append(h("h1", {}, "Net café"), idForm("netcafe", "Venue id", "e.g. cafe-1"));
    return () => {};
  }
  const heading = h("h1", {}, `Venue ${venueId}`);
  const loadError = h("p", { role: "alert", class: "alert", id: "venue-error" });
  const form = h("div", { class: "row", id: "slot-form" });
  const freeMachines = h("section", { "aria-labelledby": "free-machines-h", id: "free-machines" });
  const freeWindows = h("section", { "aria-labelledby": "free-windows-h", id: "free-windows" });
  let venue: Venue | undefined;
  let clock: VenueClock | undefined;
  const choice = { zone: "", machine: "any", day: route.query.get("day") ?? "", slot: 0, pkg: "" };

  const zoneOf = (): ZoneSpec | undefined => venue?.zones.find((z) => z.zoneId === choice.zone);
  const packageOf = () => zoneOf()?.packages.find((p) => p.packageId === choice.pkg);
  const startMs = () => (clock ? slotStart(clock, choice.day, choice.slot) : 0);

  const buy = checkout(
    route,
    () =>
      venue && packageOf()
        ? {
            slot: {
              venueId,
              zoneId: choice.zone,
              machineIds: choice.machine === "any" ? [] : [choice.machine],
              machines: 1,
              startsAt: timestampFromMs(startMs()),
              packageId: choice.pkg,
            },
          }
        : undefined,
    () => void refresh(),
    () => void refresh(),
  );

  function drawForm(): void {
    const zone = zoneOf();
    const c = clock;
    if (!venue || !c || !zone) return;
    const pkg = packageOf();
    const slots = startSlots(c, (pkg?.hours ?? 1) * 60);
    if (!slots.includes(choice.slot)) choice.slot = slots[0] ?? 0;
    const day = h("input", { id: "slot-day", type: "date", value: choice.day });
    day.addEventListener("change", () => {
      choice.day = day.value;
      changed();
    });
    replace(
      form,
      field(
        "Zone",
        select(
          "slot-zone",
          venue.zones.map((z) => [z.zoneId, z.name || z.zoneId]),
          choice.zone,
          (v) => {
            choice.zone = v;
            choice.machine = "any";
            choice.pkg = zoneOf()?.packages[0]?.packageId ?? "";
            changed();
          },
        ),
      ),
      field(
        "Machine",
        select(
          "slot-machine",
          [["any", "Any free machine"], ...zone.machineIds.map((m): [string, string] => [m, m])],
          choice.machine,
          (v) => {
            choice.machine = v;
            changed();
          },
        ),
      ),
      field("Day", day),
      field(
        "Start",
        select(
          "slot-start",
          slots.map((i): [string, string] => [String(i), slotLabel(c, i)]),
          String(choice.slot),
          (v) => {
            choice.slot = Number(v);
            changed();
          },
        ),
      ),
      field(
        "Package",
        select(
          "slot-package",
          zone.packages.map((p): [string, string] => [
            p.packageId,
            `${p.hours} h · ${formatMoney({ currency: venue!.currency, minorUnits: p.priceMinorUnits })}`,
          ]),
          choice.pkg,
          (v) => {
            choice.pkg = v;
            changed();
          },
        ),
      ),
    );
  }

  function changed(): void {
    drawForm();
    void refresh();
  }

  async function refresh(): Promise<void> {
    const zone = zoneOf();
    if (!venue || !clock || !zone || !choice.pkg) {
      buy.setReady(false);
      return;
    }
    const windowText = `${choice.day} ${slotLabel(clock, choice.slot)} for ${packageOf()?.hours} h`;
    try {
      const free = await api.booking.freeMachines({
        venueId,
        zoneId: choice.zone,
        startsAt: timestampFromMs(startMs()),
        packageId: choice.pkg,
      });
      replace(
        freeMachines,
        h("h2", { id: "free-machines-h" }, `Free machines, ${windowText}`),
        h("p", { id: "free-count" }, `${free.machineIds.length} of ${free.zoneMachines} free`),
        free.machineIds.length
          ? h(
              "ul",
              {},
              free.machineIds.map((m) => h("li", { "data-machine": m }, m)),
            )
          : null,
      );
      const chosenFree =
        choice.machine === "any"
          ? free.machineIds.length > 0
          : free.machineIds.includes(choice.machine);
      buy.setReady(chosenFree);
      if (!chosenFree)
        buy.fail(
          choice.machine === "any"
            ? "No machine of this zone is free then."
            : `${choice.machine} is not free then.`,
        );
      else buy.fail("");
    } catch (error) {
      replace(
        freeMachines,
        h("h2", { id: "free-machines-h" }, "Free machines"),
        h("p", {}, errorText(error)),
      );
      buy.setReady(false);
    }
    if (choice.machine === "any") {
      replace(
        freeWindows,
        h("h2", { id: "free-windows-h" }, "Free windows"),
        h("p", { class: "muted" }, "Choose a machine to see its free windows."),
      );
      return;
    }
    try {
      const windows = await api.booking.freeWindows({
        venueId,
        machineId: choice.machine,
        venueDay: choice.day,
      });
      replace(
        freeWindows,
        h("h2", { id: "free-windows-h" }, `Free windows of ${choice.machine} on ${choice.day}`),
        windows.windows.length
          ? h(
              "ul",
              { id: "window-list" },
              windows.windows.map((w) =>
                h(
                  "li",
                  { "data-from": w.fromSlot, "data-to": w.toSlot },
                  `${w.startsAt ? localTime(timestampMs(w.startsAt), venue!.timeZone) : slotLabel(clock!, w.fromSlot)} – ${w.endsAt ? localTime(timestampMs(w.endsAt), venue!.timeZone) : slotLabel(clock!, w.toSlot)}`,
                ),
              ),
            )
          : h("p", {}, "Booked all day."),
      );
    } catch (error) {
      replace(
        freeWindows,
        h("h2", { id: "free-windows-h" }, "Free windows"),
        h("p", {}, errorText(error)),
      );
    }
  }

  async function load(): Promise<void> {
    try {
      venue = await api.booking.getVenue({ venueId });
      clock = {
        timeZone: venue.timeZone,
        openingMinute: venue.openingMinute,
        closingMinute: venue.closingMinute,
        slotMinutes: venue.slotMinutes,
      };
      heading.textContent = venue.name || `Venue ${venueId}`;
      if (!choice.day) choice.day = localDate(Date.now(), venue.timeZone);
      choice.zone = route.query.get("zone") ?? venue.zones[0]?.zoneId ?? "";
      choice.machine = route.query.get("machine") ?? "any";
      choice.pkg = route.query.get("package") ?? zoneOf()?.packages[0]?.packageId ?? "";
      changed();
    } catch (error) {
      loadError.textContent = errorText(error);
    }
  }

  main.append(
    heading,
    loadError,
    h("p", { class: "muted" }, "Times are the venue's local times."),
    form,
    freeMachines,
    freeWindows,
    buy.element,
  );
  void load();
  const timer = setInterval(() => void refresh(), REFRESH_MS);
  return () => clearInterval(timer);
}
