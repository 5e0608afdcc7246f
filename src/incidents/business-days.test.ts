import { describe, expect, it } from 'vitest';
import {
  businessDeadline,
  easterSunday,
  INCIDENT_COMMUNICATION_BUSINESS_DAYS,
  isBusinessDay,
  nationalNonBusinessDays,
} from './business-days.ts';

const due = (instant: string) => businessDeadline(instant, INCIDENT_COMMUNICATION_BUSINESS_DAYS);

describe('Easter and the movable days', () => {
  it.each([
    [2000, '2000-04-23'],
    [2019, '2019-04-21'],
    [2024, '2024-03-31'],
    [2025, '2025-04-20'],
    [2026, '2026-04-05'],
    [2027, '2027-03-28'],
    [2038, '2038-04-25'],
  ])('Easter %i is %s', (year, date) => {
    expect(easterSunday(year)).toBe(date);
  });

  it('derives Carnival, Good Friday and Corpus Christi from Easter (2026)', () => {
    const byName = new Map(nationalNonBusinessDays(2026).map((d) => [d.name, d.date]));
    expect(byName.get('Carnaval (segunda-feira)')).toBe('2026-02-16');
    expect(byName.get('Carnaval (terça-feira)')).toBe('2026-02-17');
    expect(byName.get('Sexta-feira da Paixão')).toBe('2026-04-03');
    expect(byName.get('Corpus Christi')).toBe('2026-06-04');
  });

  it('counts 20 November only from 2024 (Lei 14.759/2023)', () => {
    expect(isBusinessDay('2023-11-20')).toBe(true);
    expect(isBusinessDay('2024-11-20')).toBe(false);
  });
});

describe('the 3-business-day deadline of Res. CD/ANPD 15/2024', () => {
  it('runs over an ordinary week: Monday → Thursday', () => {
    expect(due('2026-03-09T15:00:00.000Z')).toMatchObject({ dueDate: '2026-03-12', skipped: [] });
  });

  it('skips the weekend: Thursday → Tuesday', () => {
    expect(due('2026-03-12T15:00:00.000Z').dueDate).toBe('2026-03-17');
  });

  it('skips Good Friday: Wednesday of Holy Week → Tuesday', () => {
    const d = due('2026-04-01T15:00:00.000Z');
    expect(d.dueDate).toBe('2026-04-07');
    expect(d.skipped.map((s) => s.name)).toEqual(['Sexta-feira da Paixão']);
  });

  it('skips Carnival Monday and Tuesday: the Wednesday before → Ash Wednesday', () => {
    const d = due('2026-02-11T15:00:00.000Z');
    expect(d.dueDate).toBe('2026-02-18');
    expect(d.skipped.map((s) => s.date)).toEqual(['2026-02-16', '2026-02-17']);
  });

  it('skips 15 November (a Monday in 2027): Wednesday → Tuesday', () => {
    expect(due('2027-11-10T15:00:00.000Z').dueDate).toBe('2027-11-16');
  });

  it('skips 20 November (a Friday in 2026): Wednesday → Tuesday', () => {
    expect(due('2026-11-18T15:00:00.000Z').dueDate).toBe('2026-11-24');
  });

  it('skips Christmas (a Friday in 2026): Wednesday → Tuesday', () => {
    expect(due('2026-12-23T15:00:00.000Z').dueDate).toBe('2026-12-29');
  });

  it('skips New Year and Corpus Christi', () => {
    expect(due('2026-12-30T15:00:00.000Z').dueDate).toBe('2027-01-05');
    expect(due('2026-06-03T15:00:00.000Z').dueDate).toBe('2026-06-09');
  });

  it('counts from the Brasília date, and ends at the end of the local day', () => {
    // 22:30 on Wednesday 1 April in Brasília is already Thursday in UTC.
    const d = due('2026-04-02T01:30:00.000Z');
    expect(d.dueDate).toBe('2026-04-07');
    expect(d.dueAt).toBe('2026-04-08T02:59:59.999Z');
  });
});
