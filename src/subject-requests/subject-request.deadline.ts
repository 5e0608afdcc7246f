/**
 * Deadlines of data-subject requests, in Brasília time (America/Sao_Paulo, with its DST history until 2019).
 * LGPD Art. 19: the simplified answer is immediate; the complete declaration comes "no prazo de até 15 (quinze)
 * dias, contado da data do requerimento". Days are calendar days counted the Brazilian legal way: the day of the
 * request is excluded and the last day included, so the deadline is the end (23:59:59.999 local) of the 15th
 * calendar day after the local date on which the request arrived. A deadline on a weekend or holiday is not
 * moved to the next business day: the LGPD does not say so, and answering earlier never breaks the law.
 */
import { DateTime } from 'luxon';
import { IMMEDIATE_TYPES, type RequestType } from './subject-request.model.ts';

export const REQUEST_ZONE = 'America/Sao_Paulo';

/** Calendar days for an answer that is not immediate (Art. 19 II; applied to the other rights as well). */
export const COMPLETE_ANSWER_DAYS = 15;

/** The instant (UTC ISO) by which a request of `type` received at `receivedAt` must be answered. */
export function deadlineOf(type: RequestType, receivedAt: string, zone = REQUEST_ZONE): string {
  if (IMMEDIATE_TYPES.has(type)) return new Date(receivedAt).toISOString();
  return endOfLocalDayAfter(receivedAt, COMPLETE_ANSWER_DAYS, zone);
}

/** The end of the local calendar day `days` days after the local date of `instant`, as a UTC ISO instant. */
export function endOfLocalDayAfter(instant: string, days: number, zone = REQUEST_ZONE): string {
  const local = DateTime.fromISO(instant, { zone: 'utc' }).setZone(zone);
  if (!local.isValid) throw new Error(`not an instant: ${instant}`);
  return local.startOf('day').plus({ days }).endOf('day').toUTC().toISO();
}

/** The local calendar date (YYYY-MM-DD, Brasília) of an instant: what the subject reads as "the date". */
export function localDate(instant: string, zone = REQUEST_ZONE): string {
  return DateTime.fromISO(instant, { zone: 'utc' }).setZone(zone).toISODate()!;
}

/** Where a request stands against its deadline at `now`. */
export function dueStatus(dueAt: string, now: Date, soonDays: number): 'overdue' | 'due_soon' | 'on_time' {
  const due = Date.parse(dueAt);
  if (now.getTime() > due) return 'overdue';
  if (due - now.getTime() <= soonDays * 86_400_000) return 'due_soon';
  return 'on_time';
}
