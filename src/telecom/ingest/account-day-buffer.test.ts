import { describe, expect, it } from 'vitest';
import type { StorableRecord } from '../records/telecom-record.ts';
import { AccountDayBuffer } from './account-day-buffer.ts';

const DAY = 86_400_000;
const rec = (day: number, n: number): StorableRecord => ({ at: day * DAY + n, encoded: [`k${day}-${n}`] });

describe('AccountDayBuffer', () => {
  it('holds a many-account spread until its bound, then gives the oldest days whole', () => {
    const b = new AccountDayBuffer({ flushAt: 100, transaction: 50, segmentMax: 40 });
    let line = 0;
    // 3 days of 10 accounts, 4 records each per day: nothing is full, nothing given before 100 are held.
    const out: { accountId: string; records: StorableRecord[] }[] = [];
    for (let day = 0; day < 3; day++)
      for (let a = 0; a < 10; a++)
        for (let n = 0; n < 4; n++) {
          b.add(`acct-${a}`, rec(day, n + a * 10), ++line);
          const got = b.take();
          if (got) out.push(...got);
        }
    expect(out.length).toBeGreaterThan(0);
    // Day 0 came out whole (every account's 4 records together) before anything of day 2.
    const days = out.flatMap((g) => g.records.map((r) => Math.floor(r.at / DAY)));
    expect(days.filter((d) => d === 0)).toHaveLength(40);
    expect(days).not.toContain(2);
    expect(b.size).toBeLessThanOrEqual(100);
    const rest = b.drain();
    const all = [...out, ...rest].flatMap((g) => g.records.map((r) => r.encoded[0]));
    expect(all).toHaveLength(120);
    expect(new Set(all).size).toBe(120);
    expect(b.size).toBe(0);
  });

  it('gives full segments as soon as they make a transaction, keeping the remainder', () => {
    const b = new AccountDayBuffer({ flushAt: 10_000, transaction: 50, segmentMax: 20 });
    let got = null;
    let n = 0;
    while (!got) {
      b.add('one', rec(0, n), n + 1);
      n++;
      got = b.take();
    }
    expect(n).toBe(50);
    // 40 records: two full segments; the other 10 wait.
    expect(got.map((g) => g.records.length)).toEqual([40]);
    expect(got[0]!.lines).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(b.size).toBe(10);
    expect(b.drain()[0]!.lines).toEqual(Array.from({ length: 10 }, (_, i) => i + 41));
  });
});
