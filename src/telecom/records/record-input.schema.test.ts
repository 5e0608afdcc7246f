import { describe, expect, it } from 'vitest';
import { checkRecordInput, parsedFromInput, RECORD_INPUT_SCHEMAS } from './record-input.schema.ts';
import {
  decodeRecord,
  storableAccess,
  storableCdr,
  storableConnection,
  storableTraffic,
  type TelecomKind,
} from './telecom-record.ts';

const CDR = {
  startedAt: '2026-11-20T12:00:00Z',
  endedAt: '2026-11-20T12:01:00Z',
  caller: '1101',
  callee: '011987654321',
};
const CONNECTION = { startedAt: '2026-03-01T10:00:00Z', ip: '200.160.2.3' };
const ACCESS = {
  user: 'maria',
  at: '2026-03-01T10:00:00Z',
  ip: '200.160.2.3',
  system: 'portal',
  activity: 'login',
};
const TRAFFIC = { periodStart: '2026-03-01T00:00:00Z', periodEnd: '2026-03-02T00:00:00Z', service: 'sip' };
const MINIMAL: Record<TelecomKind, object> = {
  cdr: CDR,
  connection: CONNECTION,
  access: ACCESS,
  traffic: TRAFFIC,
};

function problem(kind: TelecomKind, item: unknown): string | null {
  const r = checkRecordInput(kind, item);
  return 'problem' in r ? r.problem : null;
}

describe('record input schemas', () => {
  it.each(Object.entries(MINIMAL))('accept a %s record with only its required fields', (kind, item) => {
    expect(problem(kind as TelecomKind, item)).toBeNull();
  });

  // The field a problem is reported under, as clients have read it: fields in schema order, unknown keys last.
  it.each<[TelecomKind, unknown, string]>([
    ['cdr', null, 'record: must be an object'],
    ['cdr', [], 'record: must be an object'],
    ['cdr', {}, 'startedAt: is required'],
    ['cdr', { __invalid_json_line: 3 }, 'startedAt: is required'],
    ['cdr', { ...CDR, extra: 1 }, 'record: unrecognized key "extra"'],
    ['cdr', { ...CDR, startedAt: 'ontem', extra: 1 }, 'startedAt: must be an ISO-8601 date-time'],
    ['cdr', { ...CDR, callee: undefined, startedAt: 'x' }, 'startedAt: must be an ISO-8601 date-time'],
    ['cdr', { ...CDR, startedAt: '2026-11-20T12:00Z' }, 'startedAt: must be an ISO-8601'],
    ['cdr', { ...CDR, startedAt: '2026-11-20T12:00:00' }, 'startedAt: must be an ISO-8601'],
    ['cdr', { ...CDR, startedAt: '2026-11-20t12:00:00z' }, 'startedAt: must be an ISO-8601'],
    ['cdr', { ...CDR, startedAt: '2026-11-20T23:59:60Z' }, 'startedAt: must be an ISO-8601'],
    ['cdr', { ...CDR, startedAt: '2026-02-30T12:00:00Z' }, 'startedAt: must be an ISO-8601'],
    ['cdr', { ...CDR, startedAt: '2026-11-20T12:00:00Z[America/Sao_Paulo]' }, 'startedAt: must be an ISO'],
    ['cdr', { ...CDR, startedAt: 12 }, 'startedAt: must be string'],
    ['cdr', { ...CDR, caller: 5 }, 'caller: must be string'],
    ['cdr', { ...CDR, caller: '9'.repeat(65) }, 'caller: must not have more than 64 characters'],
    ['cdr', { ...CDR, durationSec: -1 }, 'durationSec: must be >= 0'],
    ['cdr', { ...CDR, durationSec: 1.5 }, 'durationSec: must be integer'],
    ['cdr', { ...CDR, durationSec: '3' }, 'durationSec: must be integer'],
    ['cdr', { ...CDR, durationSec: 2 ** 53 }, 'durationSec: must be <= 9007199254740991'],
    [
      'cdr',
      { ...CDR, direction: 'sideways' },
      'direction: must be one of inbound, outbound, internal, unknown',
    ],
    ['cdr', { ...CDR, sourceIp: '1.2.3' }, 'sourceIp: must be an IPv4 or IPv6 address'],
    ['cdr', { ...CDR, sourceIp: 'fe80::1%eth0' }, 'sourceIp: must be an IPv4 or IPv6 address'],
    ['cdr', { ...CDR, accountId: '' }, 'accountId: must not have fewer than 1 characters'],
    ['connection', {}, 'startedAt: is required'],
    ['connection', { ...CONNECTION, portStart: 70000 }, 'portStart: must be <= 65535'],
    ['connection', { ...CONNECTION, ip: 'x' }, 'ip: must be an IPv4 or IPv6 address'],
    ['connection', { ...CONNECTION, startedAt: 'not a date' }, 'startedAt: must be an ISO-8601'],
    ['access', {}, 'user: is required'],
    ['access', { ...ACCESS, system: 'web' }, 'system: must be one of portal, app, api'],
    ['access', { ...ACCESS, outcome: 'maybe' }, 'outcome: must be one of success, failure'],
    ['traffic', {}, 'periodStart: is required'],
    ['traffic', { ...TRAFFIC, calls: 1.2 }, 'calls: must be integer'],
    ['traffic', { ...TRAFFIC, service: '' }, 'service: must not have fewer than 1 characters'],
  ])('reports a bad %s record by its field: %j', (kind, item, expected) => {
    const got = problem(kind, item);
    expect(got).not.toBeNull();
    expect(got!.startsWith(expected), got!).toBe(true);
  });

  it('never echoes the value it refuses', () => {
    for (const value of ['+5511987654321x', '203.0.113.300', 'Maria da Silva'.repeat(20)]) {
      for (const field of ['caller', 'sourceIp', 'startedAt', 'callerName'])
        expect(problem('cdr', { ...CDR, [field]: value }) ?? '').not.toContain(value);
    }
  });

  it('accepts the instants, numbers and addresses it did before, and stores instants in UTC', () => {
    const ok = parsedFromInput(
      {
        ...CDR,
        startedAt: '2026-11-20T12:00:00.123456789+03:00',
        answeredAt: null,
        sourceIp: '::ffff:1.2.3.4',
        callerName: null,
      },
      7,
    );
    expect(ok).toMatchObject({
      ok: true,
      record: {
        startedAt: '2026-11-20T09:00:00.123Z',
        endedAt: '2026-11-20T12:01:00.000Z',
        answeredAt: null,
        sourceIp: '::ffff:1.2.3.4',
        sourceLine: 7,
      },
    });
    expect(parsedFromInput({ ...CDR, endedAt: '2026-11-20T11:00:00Z' }, 2)).toEqual({
      ok: false,
      line: 2,
      reason: 'endedAt: before startedAt',
    });
  });

  it('stores the defaults the schemas document for fields left out', () => {
    const parsed = parsedFromInput(CDR, 1);
    if (!parsed.ok) throw new Error(parsed.reason);
    const stored: Record<TelecomKind, Record<string, unknown>> = {
      cdr: { ...decodeRecord('cdr', storableCdr(parsed.record).encoded) },
      connection: {},
      access: { ...decodeRecord('access', storableAccess(ACCESS as never).encoded) },
      traffic: { ...decodeRecord('traffic', storableTraffic(TRAFFIC).encoded) },
    };
    expect(decodeRecord('connection', storableConnection(CONNECTION).encoded)).toMatchObject({
      sessionId: null,
      stoppedAt: null,
      portStart: null,
    });
    let documented = 0;
    for (const [kind, schema] of Object.entries(RECORD_INPUT_SCHEMAS)) {
      for (const [field, s] of Object.entries(schema.properties)) {
        if (!('default' in s)) continue;
        documented++;
        expect(stored[kind as TelecomKind][field], `${kind}.${field}`).toBe(
          (s as { default: unknown }).default,
        );
      }
    }
    expect(documented).toBe(7);
  });
});
