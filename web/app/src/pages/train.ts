// Train search and booking (#/train/<run>): from, to, class and 1-5
// passengers with their document ids; the remaining seats of every class for
// that trip (Booking.RemainingSeats) and the stop matrix of the chosen class
// (Booking.GetStopMatrix), refreshed every 5 s and after each order; books
// with a leg line (PlaceOrder) and shows the seats the gate chose.
import { timestampDate } from "@bufbuild/protobuf/wkt";

import type { Run } from "../../../src/gen/turnstile/v1/booking_pb.js";
import { api } from "../api.js";
import { field, h, replace, select } from "../dom.js";
import { errorText } from "../errors.js";
import { alightingStops, boardingStops, checkPassengers, clampTo } from "../logic/legs.js";
import { formatMoney } from "../logic/money.js";
import type { Route } from "../logic/route.js";
import { checkout, idForm } from "./checkout.js";

const REFRESH_MS = 5000;

export function trainPage(main: HTMLElement, route: Route): () => void {
  const runId = route.args[0];
  if (!runId) {
    main.append(h("h1", {}, "Train"), idForm("train", "Run id", "e.g. G101:2026-12-24"));
    return () => {};
  }
  const heading = h("h1", {}, `Run ${runId}`);
  const loadError = h("p", { role: "alert", class: "alert", id: "run-error" });
  const form = h("div", { id: "trip-form" });
  const remaining = h("section", { "aria-labelledby": "remaining-h", id: "remaining-box" });
  const matrix = h("section", { "aria-labelledby": "matrix-h", id: "matrix-box" });
  const booked = h("p", { role: "status", id: "booked-seats" });
  let run: Run | undefined;
  const choice = {
    from: Number(route.query.get("from") ?? 0),
    to: Number(route.query.get("to") ?? 1),
    cls: route.query.get("class") ?? "",
    docs: [""],
  };

  const buy = checkout(
    route,
    () => {
      const problem = checkPassengers(choice.docs);
      if (problem) {
        buy.fail(problem);
        return undefined;
      }
      return {
        leg: {
          runId,
          fromStop: choice.from,
          toStop: choice.to,
          classId: choice.cls,
          passengers: choice.docs.map((docId) => ({ docId: docId.trim() })),
        },
      };
    },
    (order) => {
      const seats = order.items.map((i) => i.booking?.seatId).filter(Boolean);
      booked.textContent = seats.length ? `Your seats: ${seats.join(", ")}` : "";
      void refresh();
    },
    () => void refresh(),
  );

  const stationOf = (i: number) => run?.stops[i]?.station ?? `stop ${i}`;
  const stopText = (i: number) => {
    const stop = run?.stops[i];
    const at = stop?.departsAt
      ? timestampDate(stop.departsAt).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
      : "";
    return `${i}: ${stationOf(i)}${at ? ` ${at}` : ""}`;
  };

  function drawForm(): void {
    if (!run) return;
    const n = run.stops.length;
    choice.to = clampTo(choice.from, choice.to, n);
    const passengers = h(
      "fieldset",
      {},
      h("legend", {}, "Passengers"),
      field(
        "Number of passengers",
        select(
          "trip-count",
          [1, 2, 3, 4, 5].map((c): [string, string] => [String(c), String(c)]),
          String(choice.docs.length),
          (v) => {
            const count = Number(v);
            choice.docs = Array.from({ length: count }, (_, i) => choice.docs[i] ?? "");
            drawForm();
          },
        ),
      ),
      choice.docs.map((doc, i) => {
        const input = h("input", { id: `doc-${i}`, value: doc, autocomplete: "off" });
        input.addEventListener("input", () => {
          choice.docs[i] = input.value;
        });
        return field(`Passenger ${i + 1} document id`, input);
      }),
    );
    replace(
      form,
      h(
        "div",
        { class: "row" },
        field(
          "From",
          select(
            "trip-from",
            boardingStops(n).map((i): [string, string] => [String(i), stopText(i)]),
            String(choice.from),
            (v) => {
              choice.from = Number(v);
              changed();
            },
          ),
        ),
        field(
          "To",
          select(
            "trip-to",
            alightingStops(choice.from, n).map((i): [string, string] => [String(i), stopText(i)]),
            String(choice.to),
            (v) => {
              choice.to = Number(v);
              changed();
            },
          ),
        ),
        field(
          "Class",
          select(
            "trip-class",
            run.classes.map((c): [string, string] => [c.classId, c.classId]),
            choice.cls,
            (v) => {
              choice.cls = v;
              changed();
            },
          ),
        ),
      ),
      passengers,
    );
    buy.setReady(true);
  }

  function changed(): void {
    drawForm();
    void refresh();
  }

  async function refresh(): Promise<void> {
    if (!run) return;
    try {
      const answer = await api.booking.remainingSeats({
        runId,
        fromStop: choice.from,
        toStop: choice.to,
      });
      replace(
        remaining,
        h(
          "h2",
          { id: "remaining-h" },
          `Seats left from ${stationOf(choice.from)} to ${stationOf(choice.to)}`,
        ),
        h(
          "table",
          { id: "remaining" },
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              h("th", { scope: "col" }, "Class"),
              h("th", { scope: "col" }, "Seats left"),
              h("th", { scope: "col" }, "Of"),
              h("th", { scope: "col" }, "Price per passenger"),
            ),
          ),
          h(
            "tbody",
            {},
            answer.classes.map((c) =>
              h(
                "tr",
                { "data-class": c.classId },
                h("th", { scope: "row" }, c.classId),
                h("td", { class: "remaining" }, String(c.remaining)),
                h("td", {}, String(c.seats)),
                h("td", {}, formatMoney(c.price)),
              ),
            ),
          ),
        ),
      );
    } catch (error) {
      replace(
        remaining,
        h("h2", { id: "remaining-h" }, "Seats left"),
        h("p", {}, errorText(error)),
      );
    }
    try {
      const m = await api.booking.getStopMatrix({ runId, classId: choice.cls });
      const n = run.stops.length;
      replace(
        matrix,
        h("h2", { id: "matrix-h" }, `Seats left in ${choice.cls} for every trip`),
        h(
          "table",
          { id: "stop-matrix" },
          h("caption", { class: "muted" }, "Rows: from; columns: to"),
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              h("td", {}),
              Array.from({ length: n - 1 }, (_, j) => h("th", { scope: "col" }, `to ${j + 1}`)),
            ),
          ),
          h(
            "tbody",
            {},
            m.rows.slice(0, n - 1).map((row, i) =>
              h(
                "tr",
                {},
                h("th", { scope: "row" }, `from ${i}`),
                Array.from({ length: n - 1 }, (_, k) =>
                  h(
                    "td",
                    { "data-from": i, "data-to": k + 1 },
                    k + 1 > i ? String(row.remaining[k + 1] ?? "") : "",
                  ),
                ),
              ),
            ),
          ),
        ),
      );
    } catch (error) {
      replace(matrix, h("h2", { id: "matrix-h" }, "Stop matrix"), h("p", {}, errorText(error)));
    }
  }

  async function load(): Promise<void> {
    try {
      run = await api.booking.getRun({ runId });
      heading.textContent = `Train ${run.trainNumber} on ${run.serviceDate}`;
      if (!run.classes.some((c) => c.classId === choice.cls))
        choice.cls = run.classes[0]?.classId ?? "";
      changed();
    } catch (error) {
      loadError.textContent = errorText(error);
    }
  }

  main.append(heading, loadError, form, remaining, buy.element, booked, matrix);
  void load();
  const timer = setInterval(() => void refresh(), REFRESH_MS);
  return () => clearInterval(timer);
}
