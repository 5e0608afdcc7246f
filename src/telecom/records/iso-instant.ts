/**
 * Epoch milliseconds of an instant written as `toISOString` writes it (`2026-01-05T11:00:01.000Z`), which is
 * how every CDR reader hands instants over: 0.08 µs against 0.22 µs for Date.parse, three times per CDR on the
 * bulk path. Any other writing, and days 29 to 31 (whose validity depends on the month), go to Date.parse.
 */
export function parseIsoInstant(s: string): number {
  if (
    s.length !== 24 ||
    s.charCodeAt(4) !== 45 || // -
    s.charCodeAt(7) !== 45 ||
    s.charCodeAt(10) !== 84 || // T
    s.charCodeAt(13) !== 58 || // :
    s.charCodeAt(16) !== 58 ||
    s.charCodeAt(19) !== 46 || // .
    s.charCodeAt(23) !== 90 // Z
  )
    return Date.parse(s);
  const y = digit(s, 0) * 1000 + digit(s, 1) * 100 + digit(s, 2) * 10 + digit(s, 3);
  const m = digit(s, 5) * 10 + digit(s, 6);
  const d = digit(s, 8) * 10 + digit(s, 9);
  const hh = digit(s, 11) * 10 + digit(s, 12);
  const mi = digit(s, 14) * 10 + digit(s, 15);
  const ss = digit(s, 17) * 10 + digit(s, 18);
  const ms = digit(s, 20) * 100 + digit(s, 21) * 10 + digit(s, 22);
  // Written so that a NaN (a character that is not a digit) fails every test.
  if (!(y >= 0 && m >= 1 && m <= 12 && d >= 1 && d <= 28 && hh <= 23 && mi <= 59 && ss <= 59 && ms >= 0))
    return Date.parse(s);
  return daysFromCivil(y, m, d) * 86_400_000 + hh * 3_600_000 + mi * 60_000 + ss * 1000 + ms;
}

function digit(s: string, i: number): number {
  const v = s.charCodeAt(i) - 48;
  return v >= 0 && v <= 9 ? v : NaN;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant, "chrono-compatible date algorithms"). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}
