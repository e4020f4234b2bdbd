-- The day-limit gate's rebuild reads one day's bookings (BookingStore::
-- DayRows) and lists the days with bookings (DaysSince).
CREATE INDEX IF NOT EXISTS booking_day_idx ON booking (day);
