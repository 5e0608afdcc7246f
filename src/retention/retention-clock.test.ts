import { describe, expect, it } from 'vitest';
import type { RetentionRule } from '../policy/policy.schema.ts';
import { RetentionClock } from './retention-clock.ts';

const at = (iso: string) => new RetentionClock(() => new Date(iso));
const fiveYears: RetentionRule = { kind: 'after', anchor: 'contract_end', period: 'P5Y' };
const sixMonths: RetentionRule = { kind: 'after', anchor: 'record_created', period: 'P6M' };

describe('retention clock', () => {
  it('ends a contract at the end of its last day in Brasília time', () => {
    expect(at('2030-01-01T00:00:00Z').contractEnd('2027-06-30')).toBe('2027-07-01T03:00:00.000Z');
    expect(new RetentionClock(() => new Date(), 'UTC').contractEnd('2027-06-30')).toBe(
      '2027-07-01T00:00:00.000Z',
    );
  });

  it('adds calendar periods, clamping at month ends', () => {
    const c = at('2030-01-01T00:00:00Z');
    expect(c.expiresAt(fiveYears, '2027-07-01T03:00:00.000Z')).toBe('2032-07-01T03:00:00.000Z');
    expect(c.expiresAt(sixMonths, '2027-08-31T15:00:00.000Z')).toBe('2028-02-29T15:00:00.000Z');
    expect(c.expiresAt({ kind: 'until_contract_end' }, '2027-07-01T03:00:00.000Z')).toBe(
      '2027-07-01T03:00:00.000Z',
    );
  });

  it('treats the boundary instant as expired and the instant before as kept', () => {
    const anchor = '2027-08-31T15:00:00.000Z';
    expect(at('2028-02-29T14:59:59.999Z').isExpired(sixMonths, anchor)).toBe(false);
    expect(at('2028-02-29T15:00:00.000Z').isExpired(sixMonths, anchor)).toBe(true);
  });

  it('gives SQL bounds that never exclude an expired anchor, even around month ends', () => {
    for (const now of ['2028-02-29T15:00:00.000Z', '2028-03-31T02:00:00.000Z', '2029-03-01T12:00:00.000Z']) {
      const c = at(now);
      const upper = c.anchorUpperBound(sixMonths);
      const lower = c.anchorLowerBound(sixMonths);
      // Every anchor in the 400 days before now: expired ⇒ below the upper bound; not expired ⇒ above the lower.
      for (let d = 0; d < 400; d += 1) {
        const anchor = new Date(new Date(now).getTime() - d * 86_400_000 + 3_600_000).toISOString();
        if (c.isExpired(sixMonths, anchor)) expect(anchor <= upper).toBe(true);
        else expect(anchor >= lower).toBe(true);
      }
    }
  });

  it('keeps the expired-through threshold exact while the clock moves, across month ends and clamps', () => {
    // One clock reused as a sweep reuses it (the threshold carried over from the last call), against a fresh clock
    // per instant (the full search) and against the definition: the threshold has expired, a millisecond later not.
    let nowMs = Date.parse('2028-08-27T10:00:00.000Z');
    const moving = new RetentionClock(() => new Date(nowMs));
    const monthly: RetentionRule = { kind: 'after', anchor: 'ticket_resolved', period: 'P1M' };
    for (let step = 0; step < 120; step += 1) {
      // Small steps (batches a few ms apart) and large ones (runs hours apart) over the end of August.
      nowMs += step % 3 === 0 ? 7 : 3_600_000 * 2 + 17;
      for (const rule of [sixMonths, monthly]) {
        const through = moving.expiredThrough(rule);
        const fresh = new RetentionClock(() => new Date(nowMs));
        expect(through).toBe(fresh.expiredThrough(rule));
        expect(fresh.isExpired(rule, through)).toBe(true);
        expect(fresh.isExpired(rule, new Date(Date.parse(through) + 1).toISOString())).toBe(false);
      }
    }
  });

  it('refuses an unknown time zone', () => {
    expect(() => new RetentionClock(() => new Date(), 'Mars/Olympus')).toThrow(/time zone/);
  });
});
