import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ParseOutcome } from './cdr-record.ts';
import { readFreeswitchCsv } from './freeswitch-csv.reader.ts';
import { readFreeswitchJson } from './freeswitch-json.reader.ts';

async function collect(iterable: AsyncIterable<ParseOutcome>): Promise<ParseOutcome[]> {
  const out: ParseOutcome[] = [];
  for await (const o of iterable) out.push(o);
  return out;
}

interface Leg {
  name?: string;
  number?: string;
  dest?: string;
  context?: string;
  start?: string;
  answer?: string;
  end?: string;
  duration?: string;
  billsec?: string;
  cause?: string;
  uuid?: string;
  bleg?: string;
}

/** A line of the `example` template. */
function csvLeg(leg: Leg = {}): string {
  const values = [
    leg.name ?? 'Recepção',
    leg.number ?? '+5511987654321',
    leg.dest ?? '1133334444',
    leg.context ?? 'public',
    leg.start ?? '2026-01-05 08:00:00',
    leg.answer ?? '2026-01-05 08:00:05',
    leg.end ?? '2026-01-05 08:01:05',
    leg.duration ?? '65',
    leg.billsec ?? '60',
    leg.cause ?? 'NORMAL_CLEARING',
    leg.uuid ?? '6f1c1c9e-0000-4000-8000-000000000001',
    leg.bleg ?? '',
    '',
    'PCMA',
    'PCMA',
  ];
  return values.map((v) => `"${v}"`).join(',');
}

describe('readFreeswitchCsv', () => {
  it('reads an inbound call from the public context in the zone given', async () => {
    const [o] = await collect(readFreeswitchCsv(Readable.from([csvLeg() + '\n'])));
    expect(o).toMatchObject({
      ok: true,
      record: {
        naturalKey: 'freeswitch:6f1c1c9e-0000-4000-8000-000000000001',
        startedAt: '2026-01-05T11:00:00.000Z',
        answeredAt: '2026-01-05T11:00:05.000Z',
        endedAt: '2026-01-05T11:01:05.000Z',
        caller: '+5511987654321',
        callee: '1133334444',
        callerName: 'Recepção',
        direction: 'inbound',
        disposition: 'answered',
      },
    });
  });

  it.each([
    ['USER_BUSY', 'busy'],
    ['NO_ANSWER', 'no_answer'],
    ['ORIGINATOR_CANCEL', 'no_answer'],
    ['NORMAL_CLEARING', 'no_answer'],
    ['NORMAL_CIRCUIT_CONGESTION', 'congestion'],
    ['UNALLOCATED_NUMBER', 'failed'],
    ['CALL_REJECTED', 'failed'],
    ['SOMETHING_NEW', 'unknown'],
  ])('maps an unanswered leg ending with %s to %s', async (cause, disposition) => {
    const [o] = await collect(
      readFreeswitchCsv(Readable.from([csvLeg({ cause, answer: '', billsec: '0' })])),
    );
    expect(o).toMatchObject({ ok: true, record: { disposition, answeredAt: null } });
  });

  it('counts an answered leg as answered whatever the cause', async () => {
    const [o] = await collect(readFreeswitchCsv(Readable.from([csvLeg({ cause: 'MEDIA_TIMEOUT' })])));
    expect(o).toMatchObject({ ok: true, record: { disposition: 'answered' } });
  });

  it('reports bad rows by line and keeps going', async () => {
    const text = [
      csvLeg(),
      csvLeg({ uuid: 'b' }).replace(/,"PCMA","PCMA"$/, ''), // 13 columns
      csvLeg({ uuid: 'c', end: '2026-01-05 07:00:00' }),
      csvLeg({ uuid: 'd', start: 'yesterday' }),
      csvLeg({ uuid: 'e', billsec: 'x' }),
      csvLeg({ uuid: 'f' }),
    ].join('\r\n');
    const outcomes = await collect(readFreeswitchCsv(Readable.from([text])));
    expect(outcomes.map((o) => (o.ok ? `ok:${o.record.sourceLine}` : `${o.line}:${o.reason}`))).toEqual([
      'ok:1',
      '2:expected 15 columns (FreeSWITCH example template), found 13',
      '3:end time is before start time',
      '4:start_stamp is not a valid YYYY-MM-DD HH:MM:SS time',
      '5:billsec is not a non-negative integer',
      'ok:6',
    ]);
  });
});

/** A minimal mod_json_cdr document. */
function jsonDoc(
  variables: Record<string, string>,
  profile: Record<string, string> = {},
): Record<string, unknown> {
  return {
    'core-uuid': 'c0a1',
    variables: {
      uuid: '0b7e2a52-0000-4000-8000-000000000001',
      start_epoch: '1767610800',
      answer_epoch: '1767610805',
      end_epoch: '1767610865',
      duration: '65',
      billsec: '60',
      hangup_cause: 'NORMAL_CLEARING',
      ...variables,
    },
    callflow: [
      {
        caller_profile: {
          caller_id_number: '1001',
          caller_id_name: 'Ana Lima',
          destination_number: '011987654321',
          context: 'default',
          network_addr: '192.0.2.10',
          username: '1001',
          ...profile,
        },
      },
    ],
  };
}

describe('readFreeswitchJson', () => {
  it('reads NDJSON, one document a line, with line numbers', async () => {
    const text = [
      JSON.stringify(jsonDoc({})),
      JSON.stringify(jsonDoc({ uuid: 'second' })),
      '',
      JSON.stringify(jsonDoc({ uuid: 'third' })),
    ].join('\n');
    const outcomes = await collect(readFreeswitchJson(Readable.from([text])));
    expect(outcomes.map((o) => o.ok && [o.record.platformId, o.record.sourceLine])).toEqual([
      ['0b7e2a52-0000-4000-8000-000000000001', 1],
      ['second', 2],
      ['third', 4],
    ]);
    expect(outcomes[0]).toMatchObject({
      ok: true,
      record: {
        startedAt: '2026-01-05T11:00:00.000Z',
        answeredAt: '2026-01-05T11:00:05.000Z',
        endedAt: '2026-01-05T11:01:05.000Z',
        caller: '1001',
        callee: '011987654321',
        callerName: 'Ana Lima',
        username: '1001',
        sourceIp: '192.0.2.10',
        direction: 'outbound',
        disposition: 'answered',
      },
    });
  });

  it('reads pretty-printed documents one after another, split across chunks', async () => {
    const text =
      JSON.stringify(jsonDoc({}), null, 2) + '\n' + JSON.stringify(jsonDoc({ uuid: 'b' }), null, 2);
    const chunks = text.match(/[\s\S]{1,17}/g) ?? [];
    const outcomes = await collect(readFreeswitchJson(Readable.from(chunks)));
    expect(outcomes.map((o) => o.ok && o.record.platformId)).toEqual([
      '0b7e2a52-0000-4000-8000-000000000001',
      'b',
    ]);
    expect(outcomes[1]?.ok && outcomes[1].record.sourceLine).toBe(text.split('\n').indexOf('{', 1) + 1);
  });

  it('decodes URL-encoded variables but keeps a + sign', async () => {
    const doc = jsonDoc({
      start_stamp: '2026-01-05%2008%3A00%3A00',
      end_stamp: '2026-01-05%2008%3A01%3A05',
      answer_stamp: '',
      start_epoch: '',
      answer_epoch: '',
      end_epoch: '',
      billsec: '0',
      caller_id_number: '%2B5511987654321',
      sip_network_ip: '203.0.113.7',
      accountcode: 'padaria%20estrela',
      hangup_cause: 'NO_ANSWER',
    });
    delete (doc as { callflow?: unknown }).callflow;
    (doc.variables as Record<string, string>).destination_number = '+5521998765432';
    const [o] = await collect(readFreeswitchJson(Readable.from([JSON.stringify(doc)])));
    expect(o).toMatchObject({
      ok: true,
      record: {
        startedAt: '2026-01-05T11:00:00.000Z',
        endedAt: '2026-01-05T11:01:05.000Z',
        answeredAt: null,
        caller: '+5511987654321',
        callee: '+5521998765432',
        accountCode: 'padaria estrela',
        sourceIp: '203.0.113.7',
        disposition: 'no_answer',
      },
    });
  });

  it('prefers microsecond epochs and treats a zero epoch as an event that did not happen', async () => {
    const doc = jsonDoc({
      start_uepoch: '1767610800123456',
      answer_uepoch: '0',
      answer_epoch: '0',
      end_uepoch: '1767610830999999',
      duration: '30',
      billsec: '0',
      hangup_cause: 'ORIGINATOR_CANCEL',
    });
    const [o] = await collect(readFreeswitchJson(Readable.from([JSON.stringify(doc)])));
    expect(o).toMatchObject({
      ok: true,
      record: {
        startedAt: '2026-01-05T11:00:00.123Z',
        answeredAt: null,
        endedAt: '2026-01-05T11:00:30.999Z',
        disposition: 'no_answer',
      },
    });
  });

  it('reports broken documents by line and reads the rest', async () => {
    const good = JSON.stringify(jsonDoc({}));
    const text = [
      good, // 1
      good.slice(0, 40), // 2: cut short
      '{"variables": {"uuid": "x", "end_epoch": "1"}, "callflow": []}', // 3: no start, no destination
      'garbage', // 4
      JSON.stringify(jsonDoc({ end_epoch: '1767610000' })), // 5: ends before it starts
      JSON.stringify({ hello: 'world' }), // 6: not a CDR
      '{"variables": {"uuid": "y",}}', // 7: not JSON
      JSON.stringify(jsonDoc({ uuid: 'last' })), // 8
    ].join('\n');
    const outcomes = await collect(readFreeswitchJson(Readable.from([text])));
    expect(outcomes.map((o) => (o.ok ? `ok:${o.record.sourceLine}` : `${o.line}:${o.reason}`))).toEqual([
      'ok:1',
      '2:JSON document is cut short (the line ends inside it)',
      '3:destination_number is missing',
      '4:text outside a JSON document',
      '5:end time is before start time',
      '6:JSON document has no "variables" object (not a mod_json_cdr record)',
      '7:not valid JSON',
      'ok:8',
    ]);
  });

  it('reads a JSON array of documents', async () => {
    const text = JSON.stringify([jsonDoc({ uuid: 'a' }), jsonDoc({ uuid: 'b' })]);
    const outcomes = await collect(readFreeswitchJson(Readable.from([text])));
    expect(outcomes.map((o) => o.ok && o.record.naturalKey)).toEqual(['freeswitch:a', 'freeswitch:b']);
  });

  it('keys a document without uuid by the hash of its text', async () => {
    const doc = jsonDoc({ uuid: '' });
    const text = JSON.stringify(doc);
    const [a] = await collect(readFreeswitchJson(Readable.from([text])));
    const [b] = await collect(readFreeswitchJson(Readable.from([text])));
    expect(a?.ok && a.record.naturalKey).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(a?.ok && a.record.naturalKey).toBe(b?.ok && b.record.naturalKey);
  });
});
