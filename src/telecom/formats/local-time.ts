/**
 * PBX clocks write local wall time ('YYYY-MM-DD HH:MM:SS'). Asking luxon per row costs microseconds, so the
 * text is parsed by hand and luxon is asked once per distinct local hour for that hour's UTC offset. An hour
 * that does not map linearly to UTC (a DST change inside it) falls back to luxon per row, so results always
 * equal luxon's.
 */
import { DateTime, IANAZone } from 'luxon';
import { SigiloError } from '../../errors.ts';

const HOUR_MS = 3_600_000;
const CACHE_LIMIT = 200_000;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Returns the IANA zone or throws VALIDATION_FAILED naming the option path. */
export function requireZone(name: string, path = 'timezone'): IANAZone {
  const zone = IANAZone.create(name);
  if (!zone.isValid) {
    throw new SigiloError('VALIDATION_FAILED', 'Unknown IANA time zone', {
      path,
      issues: [{ path, message: 'not a valid IANA time zone name' }],
    });
  }
  return zone;
}

interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
  /** Index just after the seconds (and fraction), where an ISO offset may follow. */
  end: number;
}

function digits(text: string, from: number, count: number): number {
  let value = 0;
  for (let i = from; i < from + count; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    value = value * 10 + c;
  }
  return value;
}

/** Reads 'YYYY-MM-DD[ T]HH:MM:SS[.fraction]' at the start of `text`; null when malformed or out of range. */
function readWallTime(text: string): WallTime | null {
  if (text.length < 19) return null;
  if (text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45) return null; // '-'
  const sep = text.charCodeAt(10);
  if (sep !== 32 && sep !== 84) return null; // ' ' or 'T'
  if (text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return null; // ':'
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  if (year < 1970 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23) return null;
  if (minute < 0 || minute > 59 || second < 0 || second > 59) return null;
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 1 : 0;
  if (day > (DAYS_IN_MONTH[month - 1] ?? 0) + leap) return null;
  let end = 19;
  let millisecond = 0;
  if (text.charCodeAt(19) === 46) {
    // '.' then 1-9 fraction digits; keep milliseconds, truncate the rest
    let i = 20;
    let scale = 100;
    while (i < text.length) {
      const c = text.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      if (scale >= 1) millisecond += c * scale;
      scale /= 10;
      i++;
    }
    if (i === 20 || i > 29) return null;
    end = i;
  }
  return { year, month, day, hour, minute, second, millisecond, end };
}

/** Converts local wall times of one zone to UTC epoch milliseconds. */
export class LocalClock {
  private readonly zone: IANAZone;
  // local hour index → offset in ms (wall - utc), or NaN when the hour is irregular
  private readonly offsets = new Map<number, number>();
  // consecutive rows mostly fall in the same hour: skip the map for them
  private lastHour = Number.NaN;
  private lastOffset = Number.NaN;

  constructor(zoneName: string) {
    this.zone = requireZone(zoneName);
  }

  /** UTC ms of a local 'YYYY-MM-DD HH:MM:SS[.fff]' (nothing may follow); null when unreadable. */
  parseLocal(text: string): number | null {
    const wall = readWallTime(text);
    if (wall === null || wall.end !== text.length) return null;
    return this.toUtc(wall);
  }

  /**
   * UTC ms of an ISO-like time: with 'Z' or '±HH:MM' / '±HHMM' it is absolute, without it is local wall time.
   * Falls back to luxon's ISO parser for other ISO-8601 shapes.
   */
  parseIso(text: string): number | null {
    const wall = readWallTime(text);
    if (wall !== null) {
      const naive = naiveMs(wall);
      if (wall.end === text.length) return this.toUtc(wall);
      const rest = text.slice(wall.end);
      if (rest === 'Z' || rest === 'z') return naive;
      const m = /^([+-])(\d{2}):?(\d{2})$/.exec(rest);
      if (m !== null) {
        const minutes = Number(m[2]) * 60 + Number(m[3]);
        if (minutes > 18 * 60) return null;
        return naive - (m[1] === '-' ? -1 : 1) * minutes * 60_000;
      }
    }
    const dt = DateTime.fromISO(text, { zone: this.zone });
    return dt.isValid ? dt.toMillis() : null;
  }

  /** UTC ms of a time in a luxon format string, read in this zone unless the text carries an offset. */
  parseFormat(text: string, format: string): number | null {
    const dt = DateTime.fromFormat(text, format, { zone: this.zone });
    return dt.isValid ? dt.toMillis() : null;
  }

  private toUtc(wall: WallTime): number {
    const naive = naiveMs(wall);
    const hourIndex = Math.floor(naive / HOUR_MS);
    let offset = hourIndex === this.lastHour ? this.lastOffset : this.offsets.get(hourIndex);
    if (offset === undefined) {
      offset = this.hourOffset(wall, hourIndex * HOUR_MS);
      if (this.offsets.size >= CACHE_LIMIT) this.offsets.clear();
      this.offsets.set(hourIndex, offset);
    }
    this.lastHour = hourIndex;
    this.lastOffset = offset;
    if (!Number.isNaN(offset)) return naive - offset;
    return this.luxonMs(wall, wall.minute, wall.second, wall.millisecond);
  }

  private hourOffset(wall: WallTime, naiveHourStart: number): number {
    const first = this.luxonMs(wall, 0, 0, 0);
    const last = this.luxonMs(wall, 59, 59, 999);
    return last - first === HOUR_MS - 1 ? naiveHourStart - first : Number.NaN;
  }

  private luxonMs(wall: WallTime, minute: number, second: number, millisecond: number): number {
    const { year, month, day, hour } = wall;
    return DateTime.fromObject(
      { year, month, day, hour, minute, second, millisecond },
      { zone: this.zone },
    ).toMillis();
  }
}

// Date#toISOString costs about a microsecond; rows need three, so the 'YYYY-MM-DDTHH:' part is cached per hour.
const isoHours = new Map<number, string>();
let lastIsoHour = Number.NaN;
let lastIsoPrefix = '';

function twoDigits(n: number): string {
  return n < 10 ? '0' + String(n) : String(n);
}

/** `new Date(utcMs).toISOString()` for 1970-9999, faster. */
export function isoUtc(utcMs: number): string {
  const hour = Math.floor(utcMs / HOUR_MS);
  let prefix: string | undefined;
  if (hour === lastIsoHour) prefix = lastIsoPrefix;
  else {
    prefix = isoHours.get(hour);
    if (prefix === undefined) {
      if (utcMs < 0 || utcMs >= 253402300800000) return new Date(utcMs).toISOString();
      prefix = new Date(hour * HOUR_MS).toISOString().slice(0, 14);
      if (isoHours.size >= CACHE_LIMIT) isoHours.clear();
      isoHours.set(hour, prefix);
    }
    lastIsoHour = hour;
    lastIsoPrefix = prefix;
  }
  let rest = utcMs - hour * HOUR_MS;
  const minute = Math.floor(rest / 60_000);
  rest -= minute * 60_000;
  const second = Math.floor(rest / 1000);
  const ms = rest - second * 1000;
  return `${prefix}${twoDigits(minute)}:${twoDigits(second)}.${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z`;
}

function naiveMs(w: WallTime): number {
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second, w.millisecond);
}

/** Formats UTC ms as local 'YYYY-MM-DD HH:MM:SS' in one zone, asking luxon once per UTC hour. */
export class LocalFormatter {
  private readonly zone: IANAZone;
  private readonly offsets = new Map<number, number>();

  constructor(zoneName: string) {
    this.zone = requireZone(zoneName);
  }

  /** The wall-clock text a PBX in this zone writes for the instant `utcMs`. */
  format(utcMs: number): string {
    const hourIndex = Math.floor(utcMs / HOUR_MS);
    let offset = this.offsets.get(hourIndex);
    if (offset === undefined) {
      const start = this.zone.offset(hourIndex * HOUR_MS);
      offset = start === this.zone.offset(hourIndex * HOUR_MS + HOUR_MS - 1) ? start : Number.NaN;
      if (this.offsets.size >= CACHE_LIMIT) this.offsets.clear();
      this.offsets.set(hourIndex, offset);
    }
    const minutes = Number.isNaN(offset) ? this.zone.offset(utcMs) : offset;
    // toISOString of the shifted instant is the wall time; drop the 'T', fraction and 'Z'
    const iso = new Date(utcMs + minutes * 60_000).toISOString();
    return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
  }
}
