import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { isSigiloError } from '../../errors.ts';
import { LocalClock, LocalFormatter, isoUtc } from './local-time.ts';

/** Every 7 minutes 13 seconds over the days around a zone's clock changes. */
function* wallTimes(fromIso: string, days: number): Generator<string> {
  const start = DateTime.fromISO(fromIso, { zone: 'UTC' });
  for (let s = 0; s < days * 86_400; s += 433) {
    yield start.plus({ seconds: s }).toFormat('yyyy-MM-dd HH:mm:ss');
  }
}

describe('LocalClock', () => {
  it.each([
    ['America/Sao_Paulo', '2018-11-03T00:00:00'], // summer time starts at midnight: 00:00-00:59 do not exist
    ['America/Sao_Paulo', '2019-02-16T00:00:00'], // summer time ends: 23:00-23:59 happen twice
    ['America/New_York', '2026-03-07T00:00:00'],
    ['America/New_York', '2026-10-31T00:00:00'],
    ['Australia/Lord_Howe', '2026-04-04T00:00:00'], // a 30-minute change
    ['Asia/Kolkata', '2026-01-01T00:00:00'],
  ])('agrees with luxon on every time around the changes of %s from %s', (zone, from) => {
    const clock = new LocalClock(zone);
    for (const wall of wallTimes(from, 3)) {
      const expected = DateTime.fromFormat(wall, 'yyyy-MM-dd HH:mm:ss', { zone }).toMillis();
      expect(clock.parseLocal(wall), `${zone} ${wall}`).toBe(expected);
    }
  });

  it('keeps milliseconds of a fraction and refuses malformed or impossible times', () => {
    const clock = new LocalClock('UTC');
    expect(clock.parseLocal('2026-01-05 08:00:00.1234')).toBe(Date.UTC(2026, 0, 5, 8, 0, 0, 123));
    for (const bad of [
      '',
      '2026-01-05',
      '2026-01-05 08:00',
      '2026-02-29 08:00:00', // not a leap year
      '2026-04-31 08:00:00',
      '2026-01-05 24:00:00',
      '2026-01-05 08:60:00',
      '2026-01-05 08:00:00Z',
      '2026/01/05 08:00:00',
      '2026-01-05 08:00:0x',
      '0000-00-00 00:00:00',
    ]) {
      expect(clock.parseLocal(bad), bad).toBeNull();
    }
    expect(clock.parseLocal('2024-02-29 08:00:00')).toBe(Date.UTC(2024, 1, 29, 8));
  });

  it('reads ISO times with and without an offset', () => {
    const clock = new LocalClock('America/Sao_Paulo');
    expect(clock.parseIso('2026-01-05T08:00:00Z')).toBe(Date.UTC(2026, 0, 5, 8));
    expect(clock.parseIso('2026-01-05T08:00:00-03:00')).toBe(Date.UTC(2026, 0, 5, 11));
    expect(clock.parseIso('2026-01-05T08:00:00+0530')).toBe(Date.UTC(2026, 0, 5, 2, 30));
    expect(clock.parseIso('2026-01-05 08:00:00')).toBe(Date.UTC(2026, 0, 5, 11));
    expect(clock.parseIso('2026-W02-1T08:00:00')).toBe(Date.UTC(2026, 0, 5, 11)); // luxon fallback
    expect(clock.parseIso('yesterday')).toBeNull();
  });

  it('refuses an unknown zone with VALIDATION_FAILED', () => {
    for (const make of [() => new LocalClock('America/Nowhere'), () => new LocalFormatter('Nowhere')]) {
      let error: unknown;
      try {
        make();
      } catch (err) {
        error = err;
      }
      expect(isSigiloError(error, 'VALIDATION_FAILED')).toBe(true);
    }
  });
});

describe('LocalFormatter', () => {
  it('writes the wall time luxon gives, and LocalClock reads it back', () => {
    for (const zone of ['America/Sao_Paulo', 'America/New_York', 'Australia/Lord_Howe']) {
      const formatter = new LocalFormatter(zone);
      const clock = new LocalClock(zone);
      const start = Date.UTC(2018, 10, 3, 0, 0, 0);
      for (let ms = start; ms < start + 400 * 86_400_000; ms += 1_234_567_000) {
        const wall = formatter.format(ms);
        expect(wall).toBe(DateTime.fromMillis(ms, { zone }).toFormat('yyyy-MM-dd HH:mm:ss'));
        // exact both ways, except that a wall time in a repeated hour reads back as one of its two instants
        const back = clock.parseLocal(wall);
        expect(back === null ? null : formatter.format(back)).toBe(wall);
      }
    }
  });
});

describe('isoUtc', () => {
  it('equals Date#toISOString', () => {
    for (let ms = Date.UTC(1999, 11, 31, 23); ms < Date.UTC(2030, 0, 1); ms += 9_876_543_217) {
      expect(isoUtc(ms)).toBe(new Date(ms).toISOString());
      expect(isoUtc(ms + 7)).toBe(new Date(ms + 7).toISOString());
      expect(isoUtc(ms + 59_999)).toBe(new Date(ms + 59_999).toISOString());
    }
    expect(isoUtc(0)).toBe('1970-01-01T00:00:00.000Z');
  });
});
