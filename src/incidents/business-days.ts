/**
 * Business days in Brasília for the deadlines of Res. CD/ANPD 15/2024 (Arts. 6 and 9: "três dias úteis").
 *
 * Not business days: Saturdays, Sundays, the national holidays of Lei 662/1949 (with Lei 6.802/1980, 12 Oct, and
 * Lei 14.759/2023, 20 Nov since 2024), Good Friday, and the federal optional days on which the ANPD, a federal body,
 * does not open: Carnival Monday and Tuesday and Corpus Christi (announced yearly by the Ministério da Gestão).
 * The movable days follow Easter, computed with the anonymous Gregorian algorithm (Meeus/Jones/Butcher): a
 * dozen lines of arithmetic that no dependency would make safer. State and municipal holidays are not counted —
 * the ANPD is in Brasília and counts federal days — so a deadline is never later than the law allows.
 */
import { DateTime } from 'luxon';

export const BRASILIA = 'America/Sao_Paulo';

/** Easter Sunday of `year` (Gregorian), as YYYY-MM-DD. */
export function easterSunday(year: number): string {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return DateTime.utc(year, month, day).toISODate()!;
}

/** A day on which no deadline runs, with its Portuguese name. */
export interface NonBusinessDay {
  date: string;
  name: string;
  /** `holiday`: national holiday by law; `optional`: federal optional day (ponto facultativo). */
  kind: 'holiday' | 'optional';
}

const cache = new Map<number, NonBusinessDay[]>();

/** The national holidays and federal optional days of `year`, in date order. */
export function nationalNonBusinessDays(year: number): NonBusinessDay[] {
  const cached = cache.get(year);
  if (cached) return cached;
  const easter = DateTime.fromISO(easterSunday(year), { zone: 'utc' });
  const rel = (days: number): string => easter.plus({ days }).toISODate()!;
  const fixed = (month: number, day: number): string => DateTime.utc(year, month, day).toISODate()!;
  const days: NonBusinessDay[] = [
    { date: fixed(1, 1), name: 'Confraternização Universal', kind: 'holiday' },
    { date: rel(-48), name: 'Carnaval (segunda-feira)', kind: 'optional' },
    { date: rel(-47), name: 'Carnaval (terça-feira)', kind: 'optional' },
    { date: rel(-2), name: 'Sexta-feira da Paixão', kind: 'holiday' },
    { date: fixed(4, 21), name: 'Tiradentes', kind: 'holiday' },
    { date: fixed(5, 1), name: 'Dia do Trabalho', kind: 'holiday' },
    { date: rel(60), name: 'Corpus Christi', kind: 'optional' },
    { date: fixed(9, 7), name: 'Independência do Brasil', kind: 'holiday' },
    { date: fixed(10, 12), name: 'Nossa Senhora Aparecida', kind: 'holiday' },
    { date: fixed(11, 2), name: 'Finados', kind: 'holiday' },
    { date: fixed(11, 15), name: 'Proclamação da República', kind: 'holiday' },
    ...(year >= 2024
      ? [
          {
            date: fixed(11, 20),
            name: 'Dia Nacional de Zumbi e da Consciência Negra',
            kind: 'holiday' as const,
          },
        ]
      : []),
    { date: fixed(12, 25), name: 'Natal', kind: 'holiday' },
  ];
  days.sort((x, y) => x.date.localeCompare(y.date));
  cache.set(year, days);
  return days;
}

/** Whether a calendar date (YYYY-MM-DD) is a business day in Brasília's federal calendar. */
export function isBusinessDay(date: string): boolean {
  const d = DateTime.fromISO(date, { zone: 'utc' });
  if (d.weekday >= 6) return false;
  return !nationalNonBusinessDays(d.year).some((h) => h.date === date);
}

/**
 * The deadline of `businessDays` business days counted from the local (Brasília) date of `instant`: that day is
 * excluded and the count starts on the next business day (the legal way of counting, as in the CPC Art. 224);
 * the deadline is the end (23:59:59.999 local) of the last one. Returns the UTC instant and the local date.
 */
export function businessDeadline(
  instant: string,
  businessDays: number,
  zone = BRASILIA,
): { dueAt: string; dueDate: string; skipped: NonBusinessDay[] } {
  const local = DateTime.fromISO(instant, { zone: 'utc' }).setZone(zone);
  if (!local.isValid) throw new Error(`not an instant: ${instant}`);
  let day = local.startOf('day');
  let counted = 0;
  const skipped: NonBusinessDay[] = [];
  while (counted < businessDays) {
    day = day.plus({ days: 1 });
    const date = day.toISODate();
    if (isBusinessDay(date)) counted += 1;
    else {
      const named = nationalNonBusinessDays(day.year).find((h) => h.date === date);
      if (named) skipped.push(named);
    }
  }
  return { dueAt: day.endOf('day').toUTC().toISO(), dueDate: day.toISODate(), skipped };
}

/** Business days for the communication to the ANPD and to the subjects (Res. CD/ANPD 15/2024, Arts. 6 and 9). */
export const INCIDENT_COMMUNICATION_BUSINESS_DAYS = 3;
