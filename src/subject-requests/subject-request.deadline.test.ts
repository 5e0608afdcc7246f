import { describe, expect, it } from 'vitest';
import { deadlineOf, dueStatus, endOfLocalDayAfter, localDate } from './subject-request.deadline.ts';

describe('subject-request deadlines (Brasília time)', () => {
  it('answers a simplified request immediately: the deadline is the moment it arrived', () => {
    expect(deadlineOf('access_simplified', '2026-03-10T15:04:05.000Z')).toBe('2026-03-10T15:04:05.000Z');
    expect(deadlineOf('confirmation', '2026-03-10T15:04:05Z')).toBe('2026-03-10T15:04:05.000Z');
  });

  it('gives the complete declaration until the end of the 15th calendar day after the local date', () => {
    // 10:00 in São Paulo (-03:00) on 10 March → end of 25 March, local.
    expect(deadlineOf('access_complete', '2026-03-10T13:00:00.000Z')).toBe('2026-03-26T02:59:59.999Z');
  });

  it('counts from the local date, not the UTC date, late in the evening', () => {
    // 22:30 on 31 January in São Paulo is already 1 February in UTC.
    expect(localDate('2026-02-01T01:30:00.000Z')).toBe('2026-01-31');
    expect(deadlineOf('access_complete', '2026-02-01T01:30:00.000Z')).toBe('2026-02-16T02:59:59.999Z');
  });

  it('crosses month and year ends, in leap and common years', () => {
    expect(deadlineOf('deletion', '2026-01-31T15:00:00.000Z')).toBe('2026-02-16T02:59:59.999Z'); // 15 Feb local
    expect(deadlineOf('deletion', '2026-02-20T15:00:00.000Z')).toBe('2026-03-08T02:59:59.999Z'); // 7 Mar (28-day Feb)
    expect(deadlineOf('deletion', '2028-02-20T15:00:00.000Z')).toBe('2028-03-07T02:59:59.999Z'); // 6 Mar (29-day Feb)
    expect(deadlineOf('portability', '2026-12-20T15:00:00.000Z')).toBe('2027-01-05T02:59:59.999Z'); // 4 Jan 2027
  });

  it('uses the summer-time offset (-02:00) for deadlines that fell in Brazilian DST (until 2019)', () => {
    // Received 25 Oct 2018 (-03:00); DST began 4 Nov 2018, so 9 Nov ends at 23:59:59.999-02:00.
    expect(deadlineOf('access_complete', '2018-10-25T12:00:00.000Z')).toBe('2018-11-10T01:59:59.999Z');
    // The day DST began had no local midnight (00:00 → 01:00): a request that day still counts from 4 Nov.
    expect(localDate('2018-11-04T03:30:00.000Z')).toBe('2018-11-04');
    expect(deadlineOf('access_complete', '2018-11-04T03:30:00.000Z')).toBe('2018-11-20T01:59:59.999Z');
  });

  it('returns to -03:00 for deadlines after DST ended (17 Feb 2019), and reads the local date under DST', () => {
    // 23:30 on 16 Feb 2019 under DST (-02:00) is 01:30 UTC on the 17th: the local date is the 16th.
    expect(localDate('2019-02-17T01:30:00.000Z')).toBe('2019-02-16');
    expect(deadlineOf('access_complete', '2019-02-17T01:30:00.000Z')).toBe('2019-03-04T02:59:59.999Z');
    // After 2019 there is no DST: a November deadline is at -03:00.
    expect(deadlineOf('access_complete', '2025-10-25T12:00:00.000Z')).toBe('2025-11-10T02:59:59.999Z');
  });

  it('extends by local calendar days', () => {
    expect(endOfLocalDayAfter('2026-03-26T02:59:59.999Z', 10)).toBe('2026-04-05T02:59:59.999Z');
  });

  it('tells overdue, due soon and on time apart', () => {
    const due = '2026-03-26T02:59:59.999Z';
    expect(dueStatus(due, new Date('2026-03-26T03:00:00.000Z'), 3)).toBe('overdue');
    expect(dueStatus(due, new Date('2026-03-24T12:00:00.000Z'), 3)).toBe('due_soon');
    expect(dueStatus(due, new Date('2026-03-20T12:00:00.000Z'), 3)).toBe('on_time');
  });
});
