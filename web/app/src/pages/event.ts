// An event's seat map (Seat.GetSeatMap): sections with their price, rows of
// seats showing available / held / sold, refreshed every 2 s while the page
// is open (buttons updated in place, so focus stays put). The buyer picks up
// to 20 available seats and pays now or reserves; a refusal (SEAT_TAKEN, ...)
// is said in words and the map is refreshed at once.
import { timestampDate } from "@bufbuild/protobuf/wkt";

import type { SeatMap } from "../../../src/gen/turnstile/v1/seat_pb.js";
import { api } from "../api.js";
import { h, replace } from "../dom.js";
import { errorText } from "../errors.js";
import { formatMoney } from "../logic/money.js";
import type { Route } from "../logic/route.js";
import {
  countStates,
  groupSeats,
  reconcileSelection,
  seatStateName,
  selectionTotal,
  toggleSeat,
  type SeatView,
} from "../logic/seatmap.js";
import { checkout, idForm } from "./checkout.js";

const REFRESH_MS = 2000;
const STATE_TEXT = { available: "available", held: "held", sold: "sold", unknown: "unknown" };

function viewsOf(map: SeatMap): SeatView[] {
  return map.seats.map((seat) => ({
    seatId: seat.seatId,
    section: seat.section,
    row: seat.row,
    number: seat.number,
    state: seatStateName(seat.state),
    priceMinor: seat.price?.minorUnits ?? 0n,
    currency: seat.price?.currency ?? map.event?.currency ?? "",
  }));
}

export function eventPage(main: HTMLElement, route: Route): () => void {
  const eventId = route.args[0];
  if (!eventId) {
    main.append(h("h1", {}, "Seats"), idForm("event", "Event id", "e.g. concert-1"));
    return () => {};
  }
  const heading = h("h1", {}, `Event ${eventId}`);
  const about = h("p", { class: "muted", id: "event-about" });
  const loadError = h("p", { role: "alert", class: "alert", id: "map-error" });
  const counts = h("p", { id: "seat-counts", "aria-live": "polite" });
  const mapBox = h("div", { id: "seat-map" });
  const chosen = h("p", { id: "selection", "aria-live": "polite" });
  const dropNote = h("p", { id: "selection-note", role: "status" });
  let seats: SeatView[] = [];
  let selected: string[] = [];
  const buttons = new Map<string, HTMLButtonElement>();

  const buy = checkout(
    route,
    () => (selected.length ? { eventId, seatIds: [...selected] } : undefined),
    () => {
      selected = [];
      void refresh();
    },
    () => void refresh(),
  );

  function labelOf(seat: SeatView): string {
    const mine = selected.includes(seat.seatId) ? ", selected" : "";
    return `Seat ${seat.seatId}, row ${seat.row} number ${seat.number}, ${STATE_TEXT[seat.state]}${mine}, ${formatMoney({ currency: seat.currency, minorUnits: seat.priceMinor })}`;
  }

  function paintSeat(seat: SeatView): void {
    const button = buttons.get(seat.seatId);
    if (!button) return;
    button.dataset.state = seat.state;
    button.setAttribute("aria-pressed", String(selected.includes(seat.seatId)));
    button.setAttribute("aria-label", labelOf(seat));
    button.disabled = seat.state !== "available" && !selected.includes(seat.seatId);
  }

  function paintSelection(): void {
    const total = selectionTotal(selected, seats);
    chosen.textContent = selected.length
      ? `Chosen: ${selected.join(", ")} — ${formatMoney({ currency: seats[0]?.currency ?? "", minorUnits: total })}`
      : "No seats chosen.";
    buy.setReady(selected.length > 0);
  }

  function build(): void {
    buttons.clear();
    replace(
      mapBox,
      groupSeats(seats).map((section) =>
        h(
          "section",
          { "aria-labelledby": `sec-${section.name}` },
          h(
            "h2",
            { id: `sec-${section.name}` },
            `Section ${section.name} · ${formatMoney({ currency: section.currency, minorUnits: section.priceMinor })}`,
          ),
          section.rows.map((row) =>
            h(
              "div",
              {
                class: "seatrow",
                role: "group",
                "aria-label": `Section ${section.name} row ${row.row}`,
              },
              h("span", { class: "rowlabel", "aria-hidden": "true" }, `Row ${row.row}`),
              row.seats.map((seat) => {
                const button = h(
                  "button",
                  {
                    type: "button",
                    class: "seat",
                    "data-seat": seat.seatId,
                    onClick: () => {
                      const current = seats.find((s) => s.seatId === seat.seatId);
                      if (!current) return;
                      selected = toggleSeat(selected, current);
                      paintSeat(current);
                      paintSelection();
                    },
                  },
                  String(seat.number),
                );
                buttons.set(seat.seatId, button);
                return button;
              }),
            ),
          ),
        ),
      ),
    );
  }

  let first = true;
  async function refresh(): Promise<void> {
    try {
      const map = await api.seat.getSeatMap({ eventId });
      loadError.textContent = "";
      const fresh = viewsOf(map);
      const sameSeats =
        fresh.length === seats.length && fresh.every((s, i) => s.seatId === seats[i].seatId);
      seats = fresh;
      if (first && map.event) {
        heading.textContent = map.event.name || `Event ${eventId}`;
        const starts = map.event.startsAt ? timestampDate(map.event.startsAt).toLocaleString() : "";
        about.textContent = `${map.event.seatCount} seats${starts ? ` · starts ${starts}` : ""}`;
      }
      first = false;
      const { kept, dropped } = reconcileSelection(selected, seats);
      selected = kept;
      if (dropped.length) dropNote.textContent = `No longer available: ${dropped.join(", ")}.`;
      if (!sameSeats) build();
      seats.forEach(paintSeat);
      const c = countStates(seats);
      counts.textContent = `${c.available} available · ${c.held} held · ${c.sold} sold`;
      paintSelection();
    } catch (error) {
      loadError.textContent = errorText(error);
    }
  }

  main.append(
    heading,
    about,
    loadError,
    h(
      "p",
      { class: "legend" },
      h("span", {}, "Seat states: available (green outline)"),
      h("span", {}, "held (dashed, yellow)"),
      h("span", {}, "sold (grey, struck through)"),
    ),
    counts,
    mapBox,
    chosen,
    dropNote,
    buy.element,
  );
  void refresh();
  const timer = setInterval(() => void refresh(), REFRESH_MS);
  return () => clearInterval(timer);
}
