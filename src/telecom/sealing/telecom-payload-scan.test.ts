import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { createKeyedHasher } from '../../crypto/keyed-hash.ts';
import { generateCdrs } from '../../../test/support/synthetic/synthetic-cdr.ts';
import {
  KEY_AND_TERM_FIELDS,
  storableAccess,
  storableCdr,
  storableConnection,
  storableTraffic,
  termsOf,
  TELECOM_KINDS,
  type TelecomKind,
} from '../records/telecom-record.ts';
import { scanPayload } from './telecom-payload-scan.ts';
import { eachOf, encodePayload, hashSegment, type TelecomHashers } from './telecom-prepare.ts';

function recordsOf(kind: TelecomKind): unknown[][] {
  switch (kind) {
    case 'cdr':
      return [...generateCdrs({ count: 300, seed: 5 })].map((c) => storableCdr(c).encoded);
    case 'connection':
      return [
        storableConnection({
          startedAt: '2026-01-05T10:00:00Z',
          ip: '100.64.1.2',
          portStart: 1024,
          portEnd: 2047,
        }),
        storableConnection({
          sessionId: 's-1',
          username: 'Maria.Souza',
          startedAt: '2026-01-05T10:00:00Z',
          stoppedAt: '2026-01-05T11:00:00Z',
          ip: '2001:db8::1',
          nasIp: '10.0.0.1',
        }),
      ].map((r) => r.encoded);
    case 'access':
      return [
        storableAccess({
          user: 'Ana@Example.com.br',
          at: '2026-01-05T10:00:00Z',
          ip: '203.0.113.9',
          port: 443,
          system: 'portal',
          activity: 'login',
          outcome: 'success',
        }),
      ].map((r) => r.encoded);
    case 'traffic':
      return [
        storableTraffic({
          periodStart: '2026-01-05T00:00:00Z',
          periodEnd: '2026-01-06T00:00:00Z',
          service: 'sip-trunk',
          bytesIn: 2 ** 40,
          bytesOut: 12,
          calls: 3,
          billSec: 70_000,
        }),
      ].map((r) => r.encoded);
  }
}

const key = (n: number): Buffer => Buffer.alloc(32, n);

async function hashers(): Promise<TelecomHashers> {
  return {
    record: await createKeyedHasher(key(1)),
    term: await createKeyedHasher(key(2)),
  };
}

describe('segment payload scan (what a hashing worker reads)', () => {
  it.each(TELECOM_KINDS)('reads the key and term fields of %s records as they were encoded', (kind) => {
    const records = recordsOf(kind);
    const scan = scanPayload(Buffer.from(encodePayload(records)), KEY_AND_TERM_FIELDS[kind]);
    expect(scan.count).toBe(records.length);
    let i = 0;
    scan.each((fields) => {
      const r = records[i++]!;
      for (const f of KEY_AND_TERM_FIELDS[kind]) expect(fields[f]).toEqual(r[f]);
      // The fields listed are all that the natural key and the terms are read from.
      expect(termsOf(kind, fields)).toEqual(termsOf(kind, r));
      expect(fields[0]).toBe(r[0]);
    });
    expect(i).toBe(records.length);
  });

  it.each(TELECOM_KINDS)('hashes %s segments from their bytes exactly as from the records', async (kind) => {
    const records = recordsOf(kind);
    const h = await hashers();
    const scan = scanPayload(Buffer.from(encodePayload(records)), KEY_AND_TERM_FIELDS[kind]);
    expect(hashSegment(kind, scan.count, scan.each, h)).toEqual(
      hashSegment(kind, records.length, eachOf(records), h),
    );
  });

  it('skips every MessagePack type in the fields it does not read, and decodes every scalar it does', () => {
    const packr = new Packr({ useRecords: false, moreTypes: false });
    const scalars = [
      'k',
      1.5,
      -3,
      -200,
      -70_000,
      -(2 ** 40),
      2 ** 53 - 1,
      true,
      false,
      'é'.repeat(40),
      'x'.repeat(300),
    ];
    const others = [
      'k2',
      [1, [2, 'a']],
      { a: 1, b: [null] },
      Buffer.from([1, 2, 3]),
      new Date(0),
      'x'.repeat(70_000),
      null,
    ];
    const read = (record: unknown[], wanted: number[]): unknown[][] => {
      const seen: unknown[][] = [];
      scanPayload(Buffer.from(packr.pack([record, record])), wanted).each((f) => seen.push([...f]));
      return seen;
    };
    expect(
      read(
        scalars,
        scalars.map((_, i) => i),
      ),
    ).toEqual([scalars, scalars]);
    const expected: unknown[] = ['k2'];
    expected[6] = null;
    expect(read(others, [0, 6])).toEqual([expected, expected]);
  });

  it('refuses truncated or malformed bytes instead of reading past them', () => {
    const bytes = Buffer.from(encodePayload(recordsOf('cdr')));
    for (const cut of [1, 10, bytes.length - 1]) {
      const scan = (): void => scanPayload(bytes.subarray(0, cut), [0]).each(() => undefined);
      expect(scan).toThrow(/malformed segment payload/);
    }
    expect(() => scanPayload(Buffer.from('[]'), [0])).toThrow(/malformed segment payload/);
    // A header claiming more records than there are bytes.
    expect(() => scanPayload(Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff, 0x91, 0xc0]), [0])).toThrow(
      /malformed segment payload/,
    );
    const trailing = Buffer.concat([bytes, Buffer.from([0xc0])]);
    expect(() => scanPayload(trailing, [0]).each(() => undefined)).toThrow(/malformed segment payload/);
    // A field the scan must decode that is not a scalar.
    const nested = Buffer.from(new Packr({ useRecords: false }).pack([[['not', 'a', 'key']]]));
    expect(() => scanPayload(nested, [0]).each(() => undefined)).toThrow(/malformed segment payload/);
  });
});
