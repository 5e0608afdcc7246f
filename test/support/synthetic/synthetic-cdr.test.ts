import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { describe, expect, it } from 'vitest';
import { readAsteriskCsv } from '../../../src/telecom/formats/asterisk-csv.reader.ts';
import type { ParsedCdr } from '../../../src/telecom/formats/cdr-record.ts';
import { DDDS } from './brazilian-numbers.ts';
import { DEFAULT_TRUNKS, generateAsteriskCsvFile, generateCdrs, writeAsteriskCsv } from './synthetic-cdr.ts';

async function csvOf(opts: Parameters<typeof writeAsteriskCsv>[0] extends infer O ? Omit<O, 'out'> : never) {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const result = await writeAsteriskCsv({ ...opts, out });
  out.end();
  return { text: Buffer.concat(chunks).toString('utf8'), ...result };
}

/** National numbers as PBXs write them; null for extensions, 0800 and international ones. */
function nationalDigits(number: string): string | null {
  if (/^\d{4}$/.test(number) || number.startsWith('0800') || number.startsWith('00')) return null;
  return number;
}

describe('generateCdrs', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const a = [...generateCdrs({ count: 200, seed: 1 })];
    const b = [...generateCdrs({ count: 200, seed: 1 })];
    const c = [...generateCdrs({ count: 200, seed: 2 })];
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it('makes realistic Brazilian traffic', () => {
    const cdrs = [...generateCdrs({ count: 5000, seed: 3 })];
    const share = (pick: (c: ParsedCdr) => boolean): number => cdrs.filter(pick).length / cdrs.length;

    // every national number is valid for libphonenumber (max metadata), with a real DDD
    let national = 0;
    for (const cdr of cdrs) {
      for (const number of [cdr.caller, cdr.callee]) {
        const digits = nationalDigits(number);
        if (digits === null) continue;
        national++;
        const phone = parsePhoneNumberFromString(digits, 'BR');
        expect(phone?.isValid(), number).toBe(true);
        if (phone?.countryCallingCode === '55') {
          expect(DDDS).toContain(Number(phone.nationalNumber.slice(0, 2)));
          const subscriber = phone.nationalNumber.slice(2);
          expect(subscriber, number).toMatch(/^(9\d{8}|[2-5]\d{7})$/);
        }
      }
    }
    expect(national).toBeGreaterThan(4000);
    // 0800 and international numbers are valid too
    const tollFree = cdrs.filter((c) => c.callee.startsWith('0800'));
    const abroad = cdrs.filter((c) => c.callee.startsWith('00'));
    expect(tollFree.length).toBeGreaterThan(20);
    expect(abroad.length).toBeGreaterThan(20);
    for (const c of [...tollFree, ...abroad])
      expect(parsePhoneNumberFromString(c.callee, 'BR')?.isValid()).toBe(true);

    // a disposition mix dominated by answered calls, and talk times with a long tail
    expect(share((c) => c.disposition === 'answered')).toBeGreaterThan(0.55);
    expect(share((c) => c.disposition === 'answered')).toBeLessThan(0.8);
    expect(share((c) => c.disposition === 'no_answer')).toBeGreaterThan(0.1);
    expect(share((c) => c.disposition === 'busy')).toBeGreaterThan(0.03);
    const talk = cdrs.filter((c) => c.disposition === 'answered').map((c) => c.billSec);
    talk.sort((x, y) => x - y);
    const median = talk[Math.floor(talk.length / 2)] ?? 0;
    expect(median).toBeGreaterThan(30);
    expect(median).toBeLessThan(120);
    expect(talk[talk.length - 1]).toBeGreaterThan(600);
    expect(cdrs.filter((c) => c.disposition !== 'answered').every((c) => c.billSec === 0)).toBe(true);

    // all three directions, extension-to-trunk channels naming a trunk of the list
    expect(new Set(cdrs.map((c) => c.direction))).toEqual(new Set(['inbound', 'outbound', 'internal']));
    for (const c of cdrs.filter((x) => x.direction === 'outbound')) {
      expect(c.channel).toMatch(/^SIP\/\d{4}-[0-9a-f]{8}$/);
      const trunk = /^SIP\/(.+)-[0-9a-f]{8}$/.exec(c.dstChannel ?? '')?.[1];
      expect(DEFAULT_TRUNKS).toContain(trunk);
    }

    // start times never go back, and natural keys are unique
    for (let i = 1; i < cdrs.length; i++) {
      expect(Date.parse(cdrs[i]?.startedAt ?? '')).toBeGreaterThanOrEqual(
        Date.parse(cdrs[i - 1]?.startedAt ?? ''),
      );
    }
    expect(new Set(cdrs.map((c) => c.naturalKey)).size).toBe(cdrs.length);
  });

  it('uses the given trunks, accounts and start', () => {
    const cdrs = [
      ...generateCdrs({
        count: 300,
        seed: 4,
        trunks: ['op-x'],
        accounts: ['acct-a', 'acct-b'],
        start: new Date('2025-06-02T12:00:00Z'),
      }),
    ];
    expect(new Set(cdrs.map((c) => c.accountCode))).toEqual(new Set(['acct-a', 'acct-b']));
    const trunks = new Set(
      cdrs.flatMap((c) => [c.channel, c.dstChannel]).filter((ch) => ch?.startsWith('SIP/op-')),
    );
    expect(trunks.size).toBeGreaterThan(0);
    expect(
      cdrs
        .flatMap((c) => [c.channel, c.dstChannel])
        .every((ch) => ch === null || /^SIP\/(op-x|\d{4})-/.test(ch)),
    ).toBe(true);
    expect(cdrs[0]?.startedAt.startsWith('2025-06-02T12:')).toBe(true);
  });
});

describe('writeAsteriskCsv', () => {
  it('round-trips through the Asterisk reader: N rows written, the same N records read', async () => {
    const count = 3000;
    const { text, rows, bytes } = await csvOf({ count, seed: 9 });
    expect(rows).toBe(count);
    expect(bytes).toBe(Buffer.byteLength(text));
    const expected = [...generateCdrs({ count, seed: 9 })];
    const read: ParsedCdr[] = [];
    for await (const o of readAsteriskCsv(Readable.from([text]))) {
      if (!o.ok) throw new Error(`line ${o.line}: ${o.reason}`);
      read.push(o.record);
    }
    expect(read).toEqual(expected);
    expect(text.split('\n')[0]?.split(',').length).toBeGreaterThanOrEqual(18);
  });

  it('waits for a slow destination instead of buffering everything', async () => {
    let maxBuffered = 0;
    let received = 0;
    const slow = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _encoding, done) {
        received += chunk.length;
        // what the producer has queued beyond this chunk
        maxBuffered = Math.max(maxBuffered, this.writableLength - chunk.length);
        setImmediate(done);
      },
    });
    const { bytes } = await writeAsteriskCsv({ count: 20_000, seed: 1, out: slow });
    expect(bytes).toBeGreaterThan(4 * 1024 * 1024);
    // the producer stopped at each full buffer: at most one 256 KiB flush waits, and little is left to drain
    expect(maxBuffered).toBeLessThan(300 * 1024);
    expect(bytes - received).toBeLessThan(300 * 1024);
  });
});

describe('generateAsteriskCsvFile', () => {
  it('writes a file of the requested rows or size', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sigilo-synthetic-'));
    try {
      const byRows = path.join(dir, 'rows.csv');
      expect((await generateAsteriskCsvFile(byRows, { rows: 1234 })).rows).toBe(1234);
      expect((await readFile(byRows, 'utf8')).trimEnd().split('\n')).toHaveLength(1234);

      const bySize = path.join(dir, 'size.csv');
      const target = 2 * 1024 * 1024;
      const made = await generateAsteriskCsvFile(bySize, { bytes: target });
      const size = (await stat(bySize)).size;
      expect(size).toBe(made.bytes);
      expect(size).toBeGreaterThanOrEqual(target);
      expect(size).toBeLessThan(target + 300 * 1024);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
