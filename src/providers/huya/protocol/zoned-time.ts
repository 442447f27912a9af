// Wall-clock ↔ instant conversion for an IANA time zone using only Intl, so Huya's
// local times (orderTime, billing months) are read in Asia/Shanghai whatever the
// server's own TZ is.

export const HUYA_TIME_ZONE = 'Asia/Shanghai';

export interface WallClock {
  year: number;
  /** 1..12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    // Throws RangeError for an unknown zone: a configuration error worth surfacing.
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The wall clock shown in `timeZone` at `instant` (seconds precision). */
export function wallClockAt(instant: Date, timeZone: string): WallClock {
  const parts: Partial<Record<Intl.DateTimeFormatPartTypes, number>> = {};
  for (const part of formatterFor(timeZone).formatToParts(instant)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year ?? Number.NaN,
    month: parts.month ?? Number.NaN,
    day: parts.day ?? Number.NaN,
    hour: parts.hour ?? Number.NaN,
    minute: parts.minute ?? Number.NaN,
    second: parts.second ?? Number.NaN,
  };
}

function wallClockAsUtcMs(clock: WallClock): number {
  return Date.UTC(clock.year, clock.month - 1, clock.day, clock.hour, clock.minute, clock.second);
}

/** Offset of `timeZone` from UTC at `instantMs`, in ms (Shanghai: +8 h). */
function offsetMs(instantMs: number, timeZone: string): number {
  const flooredToSecond = Math.floor(instantMs / 1000) * 1000;
  return wallClockAsUtcMs(wallClockAt(new Date(flooredToSecond), timeZone)) - flooredToSecond;
}

/**
 * The instant at which `timeZone` shows `clock`. Two passes settle the offset around a
 * DST change; for a skipped wall time the later offset wins. Asia/Shanghai has no DST,
 * so for Huya this is exact.
 */
export function instantOfWallClock(clock: WallClock, timeZone: string): Date {
  const asIfUtc = wallClockAsUtcMs(clock);
  const firstGuess = asIfUtc - offsetMs(asIfUtc, timeZone);
  return new Date(asIfUtc - offsetMs(firstGuess, timeZone));
}

/** True when the fields name a real calendar time (rejects 2024-02-30, 24:00:00, ...). */
export function isValidWallClock(clock: WallClock): boolean {
  const roundTrip = new Date(wallClockAsUtcMs(clock));
  return (
    roundTrip.getUTCFullYear() === clock.year &&
    roundTrip.getUTCMonth() === clock.month - 1 &&
    roundTrip.getUTCDate() === clock.day &&
    roundTrip.getUTCHours() === clock.hour &&
    roundTrip.getUTCMinutes() === clock.minute &&
    roundTrip.getUTCSeconds() === clock.second
  );
}
