import { describe, expect, it } from 'vitest';
import type { ParsedCdr } from '../formats/cdr-record.ts';
import { encodePayload } from '../sealing/telecom-prepare.ts';
import {
  FIELD_COUNT,
  FIELDS,
  INSTANT_FIELD,
  KEY_AND_TERM_FIELDS,
  TELECOM_KINDS,
  decodeRecord,
  holdsTerm,
  instantOf,
  naturalKeyOf,
  storableAccess,
  storableCdr,
  storableConnection,
  storableTraffic,
  termsOf,
  type StorableRecord,
  type TelecomKind,
} from './telecom-record.ts';

const CDR: ParsedCdr = {
  naturalKey: 'asterisk:1.2',
  platform: 'asterisk',
  platformId: '1.2',
  linkedId: 'L',
  startedAt: '2026-01-05T11:00:00.000Z',
  answeredAt: '2026-01-05T11:00:05.000Z',
  endedAt: '2026-01-05T11:01:00.000Z',
  durationSec: 60,
  billSec: 55,
  caller: '1101',
  callee: '011987654321',
  callerName: 'Ana',
  accountCode: 'acct',
  context: 'ctx',
  channel: 'SIP/a',
  dstChannel: 'SIP/b',
  username: 'Ramal',
  sourceIp: '10.0.0.1',
  disposition: 'answered',
  direction: 'outbound',
  sourceLine: 1,
};

const RECORDS: Record<TelecomKind, StorableRecord> = {
  cdr: storableCdr(CDR),
  connection: storableConnection({
    sessionId: 's-1',
    username: 'Maria',
    startedAt: '2026-01-05T10:00:00.000Z',
    stoppedAt: '2026-01-05T11:00:00.000Z',
    ip: '2001:db8::1',
    portStart: 1024,
    portEnd: 2047,
    nasIp: '10.0.0.1',
  }),
  access: storableAccess({
    user: 'Ana@x',
    at: '2026-01-05T10:00:00.000Z',
    ip: '203.0.113.9',
    port: 443,
    system: 'portal',
    activity: 'login',
    outcome: 'success',
  }),
  traffic: storableTraffic({
    periodStart: '2026-01-05T00:00:00.000Z',
    periodEnd: '2026-01-06T00:00:00.000Z',
    service: 'sip',
    bytesIn: 2 ** 40,
    bytesOut: 12,
    calls: 3,
    billSec: 70,
  }),
};

// The MessagePack bytes each record was sealed as before the field tables existed: stored segments must decode.
const STORED = {
  cdr:
    '91dc0014ac617374657269736b3a312e32cb4279b8dd05780000cb4279b8dd06b08000cb4279b8dd141e00003c37a431313031ae2b3535' +
    '3131393837363534333231a3416e610100a55349502f61a55349502f62a461636374a3637478a552616d616ca831302e302e302e3100a331' +
    '2e32a14c',
  connection:
    '9199ab73657373696f6e3a732d31a3732d31a54d61726961cb4279b8d996900000cb4279b8dd05780000ab323030313a6462383a3a31cd04' +
    '00cd07ffa831302e302e302e31',
  access:
    '9198d938636f6e74656e743a706f7274616c7c416e6140787c313736373630373230303030307c3230332e302e3131332e397c3434337c6c' +
    '6f67696ea5416e614078cb4279b8d996900000ab3230332e302e3131332e39cd01bba6706f7274616ca56c6f67696ea773756363657373',
  traffic:
    '9198d926706572696f643a7369707c313736373537313230303030307c31373637363537363030303030cb4279b8b741800000cb4279b909' +
    'a7400000a3736970cb42700000000000000c0346',
};

const INSTANTS = new Set([
  'startedAt',
  'answeredAt',
  'endedAt',
  'stoppedAt',
  'at',
  'periodStart',
  'periodEnd',
]);

describe('telecom record field tables', () => {
  it.each(TELECOM_KINDS)('give every %s field its own position, with none left out', (kind) => {
    const positions = Object.values(FIELDS[kind]).sort((a, b) => a - b);
    expect(positions).toEqual([...Array(FIELD_COUNT[kind]).keys()]);
    expect(FIELDS[kind].key).toBe(0);
  });

  it.each(TELECOM_KINDS)('encode %s records to the bytes segments were always sealed with', (kind) => {
    const { encoded } = RECORDS[kind];
    expect(encoded).toHaveLength(FIELD_COUNT[kind]);
    expect(encoded.every((v) => v !== undefined)).toBe(true);
    expect(encodePayload([encoded]).toString('hex')).toBe(STORED[kind]);
  });

  it.each(TELECOM_KINDS)('decode each %s field from the position its table names', (kind) => {
    const { at, encoded } = RECORDS[kind];
    const decoded = decodeRecord(kind, encoded) as unknown as Record<string, unknown>;
    expect(Object.keys(decoded).sort()).toEqual(['kind', ...Object.keys(FIELDS[kind])].sort());
    for (const [field, position] of Object.entries(FIELDS[kind])) {
      const stored = encoded[position];
      // Instants are stored as epoch milliseconds and read back as ISO text; the rest as they are (or by name).
      if (INSTANTS.has(field)) expect(Date.parse(decoded[field] as string)).toBe(stored);
      else if (field === 'direction') expect(decoded[field]).toBe(CDR.direction);
      else if (field === 'disposition') expect(decoded[field]).toBe(CDR.disposition);
      else if (field === 'platform') expect(decoded[field]).toBe(CDR.platform);
      else if (field === 'caller') expect(decoded[field]).toBe('1101');
      else if (field === 'callee') expect(decoded[field]).toBe('+5511987654321');
      else expect(decoded[field]).toBe(stored);
    }
    expect(instantOf(kind, encoded)).toBe(at);
    expect(encoded[INSTANT_FIELD[kind]]).toBe(at);
    expect(naturalKeyOf(encoded)).toBe(decoded.key);
  });

  it.each(TELECOM_KINDS)('match a %s record on exactly the terms its blind indexes are made of', (kind) => {
    const { encoded } = RECORDS[kind];
    const terms = termsOf(kind, encoded);
    for (const t of terms) expect(holdsTerm(kind, encoded, t)).toBe(true);
    // A value of one kind of term is not a match for another kind, nor is any other value.
    for (const t of terms) {
      expect(holdsTerm(kind, encoded, { kind: t.kind, value: `${t.value}0` })).toBe(false);
      for (const other of ['number', 'username', 'ip'] as const)
        if (!terms.some((u) => u.kind === other && u.value === t.value))
          expect(holdsTerm(kind, encoded, { kind: other, value: t.value })).toBe(false);
    }
    // The worker reads only these fields, and finds the same terms in them.
    const scanned: unknown[] = [];
    for (const f of KEY_AND_TERM_FIELDS[kind]) scanned[f] = encoded[f];
    expect(termsOf(kind, scanned)).toEqual(terms);
  });

  it('says which CDR terms are searchable: both numbers, the username in lower case and the source IP', () => {
    expect(termsOf('cdr', RECORDS.cdr.encoded)).toEqual([
      { kind: 'number', value: '1101' },
      { kind: 'number', value: '+5511987654321' },
      { kind: 'username', value: 'ramal' },
      { kind: 'ip', value: '10.0.0.1' },
    ]);
    expect(termsOf('traffic', RECORDS.traffic.encoded)).toEqual([]);
  });
});
