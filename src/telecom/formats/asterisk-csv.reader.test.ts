import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { isSigiloError } from '../../errors.ts';
import { callerNameFromClid, readAsteriskCsv } from './asterisk-csv.reader.ts';
import type { ParseOutcome, ReaderOptions } from './cdr-record.ts';

const COLUMNS = [
  'accountcode',
  'src',
  'dst',
  'dcontext',
  'clid',
  'channel',
  'dstchannel',
  'lastapp',
  'lastdata',
  'start',
  'answer',
  'end',
  'duration',
  'billsec',
  'disposition',
  'amaflags',
  'uniqueid',
  'userfield',
] as const;
type Column = (typeof COLUMNS)[number];

const BASE: Record<Column, string> = {
  accountcode: 'padaria',
  src: '1001',
  dst: '11987654321',
  dcontext: 'from-internal',
  clid: '"Ana Lima" <1001>',
  channel: 'SIP/1001-0000001a',
  dstchannel: 'SIP/trunk-acme-0000001b',
  lastapp: 'Dial',
  lastdata: 'SIP/trunk-acme/11987654321,60',
  start: '2026-01-05 08:00:00',
  answer: '2026-01-05 08:00:07',
  end: '2026-01-05 08:02:07',
  duration: '127',
  billsec: '120',
  disposition: 'ANSWERED',
  amaflags: 'DOCUMENTATION',
  uniqueid: '1767610800.1',
  userfield: '',
};

/** A Master.csv line the way cdr_csv writes it (strings quoted, durations bare). */
function row(overrides: Partial<Record<Column, string>> = {}, columns = 18): string {
  const values = { ...BASE, ...overrides };
  return COLUMNS.slice(0, columns)
    .map((c) => (c === 'duration' || c === 'billsec' ? values[c] : `"${values[c].replaceAll('"', '""')}"`))
    .join(',');
}

async function read(text: string, options: ReaderOptions = {}): Promise<ParseOutcome[]> {
  const out: ParseOutcome[] = [];
  for await (const o of readAsteriskCsv(Readable.from([text]), options)) out.push(o);
  return out;
}

function failures(outcomes: ParseOutcome[]): { line: number; reason: string }[] {
  return outcomes.flatMap((o) => (o.ok ? [] : [{ line: o.line, reason: o.reason }]));
}

describe('readAsteriskCsv', () => {
  it('maps an outbound answered call', async () => {
    const [outcome] = await read(row() + '\n');
    expect(outcome).toEqual({
      ok: true,
      record: {
        naturalKey: `asterisk:1767610800.1|${Date.parse('2026-01-05T11:00:00.000Z')}|SIP/trunk-acme-0000001b|Dial|11987654321`,
        platform: 'asterisk',
        platformId: '1767610800.1',
        linkedId: null,
        startedAt: '2026-01-05T11:00:00.000Z',
        answeredAt: '2026-01-05T11:00:07.000Z',
        endedAt: '2026-01-05T11:02:07.000Z',
        durationSec: 127,
        billSec: 120,
        caller: '1001',
        callee: '11987654321',
        callerName: 'Ana Lima',
        accountCode: 'padaria',
        context: 'from-internal',
        channel: 'SIP/1001-0000001a',
        dstChannel: 'SIP/trunk-acme-0000001b',
        username: null,
        sourceIp: null,
        disposition: 'answered',
        direction: 'outbound',
        sourceLine: 1,
      },
    });
  });

  it.each([
    ['NO ANSWER', 'no_answer'],
    ['BUSY', 'busy'],
    ['FAILED', 'failed'],
    ['CONGESTION', 'congestion'],
    ['SOMETHING ELSE', 'unknown'],
  ])('maps disposition %s to %s, with no answer time', async (written, mapped) => {
    const [outcome] = await read(row({ disposition: written, answer: '', billsec: '0' }));
    expect(outcome).toMatchObject({
      ok: true,
      record: { disposition: mapped, answeredAt: null, billSec: 0 },
    });
  });

  it('infers inbound and internal calls from the context', async () => {
    const outcomes = await read(
      [
        row({ dcontext: 'from-trunk', src: '+5521998765432', dst: '1133334444', clid: '+5521998765432' }),
        row({ dst: '1002', uniqueid: '2' }),
        row({ dcontext: 'macro-dial-one', uniqueid: '3' }),
      ].join('\n'),
    );
    expect(outcomes.map((o) => o.ok && o.record.direction)).toEqual(['inbound', 'internal', 'unknown']);
    expect(outcomes[0]?.ok && outcomes[0].record.callerName).toBeNull();
  });

  it('reads 16-column files (no uniqueid) with a key hashed from the line, stable across reads', async () => {
    const text = [row({}, 16), row({ start: '2026-01-05 09:00:00', end: '2026-01-05 09:02:07' }, 16)].join(
      '\r\n',
    );
    const first = await read(text);
    const again = await read(text);
    const keys = first.map((o) => (o.ok ? o.record.naturalKey : ''));
    expect(keys[0]).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(new Set(keys).size).toBe(2);
    expect(again.map((o) => (o.ok ? o.record.naturalKey : ''))).toEqual(keys);
    expect(first[0]?.ok && first[0].record.platformId).toBeNull();
  });

  it('reports malformed rows with their line numbers and keeps reading the others', async () => {
    const lines = [
      row({ uniqueid: 'ok-1' }), // 1
      row({}, 15), // 2: too few columns
      row({ start: '2026-13-05 08:00:00', uniqueid: 'bad-time' }), // 3: month 13
      row({ end: '2026-01-05 07:59:59', uniqueid: 'end-first' }), // 4: ends before it starts
      row({ uniqueid: 'ok-2' }), // 5
      row({ duration: '-3', uniqueid: 'neg' }), // 6
      row({ dst: '', uniqueid: 'no-dst' }), // 7
      '"padaria","1001","11987654321","from-internal,"x"', // 8: quote left open mid-file
      row({ uniqueid: 'ok-3' }), // 9
      row({ answer: '2026-01-05 07:00:00', uniqueid: 'answer-early' }), // 10
      row({ billsec: '1.5', uniqueid: 'frac' }), // 11
      '', // trailing empty line
    ];
    const outcomes = await read(lines.join('\n'));
    expect(outcomes.filter((o) => o.ok).map((o) => o.ok && o.record.platformId)).toEqual([
      'ok-1',
      'ok-2',
      'ok-3',
    ]);
    expect(outcomes.filter((o) => o.ok).map((o) => o.ok && o.record.sourceLine)).toEqual([1, 5, 9]);
    expect(failures(outcomes)).toEqual([
      { line: 2, reason: 'expected 16 to 18 columns (Asterisk Master.csv), found 15' },
      { line: 3, reason: 'start is not a valid YYYY-MM-DD HH:MM:SS time' },
      { line: 4, reason: 'end time is before start time' },
      { line: 6, reason: 'duration is not a non-negative integer' },
      { line: 7, reason: 'destination (dst) is empty' },
      { line: 8, reason: 'broken quoting: a closing quote is followed by text instead of a delimiter' },
      { line: 10, reason: 'answer time is outside the start-end interval' },
      { line: 11, reason: 'billsec is not a non-negative integer' },
    ]);
    // reasons never carry the numbers of the row
    for (const { reason } of failures(outcomes)) expect(reason).not.toMatch(/1001|98765|4321/);
  });

  it('converts local time with the zone, including the old Brazilian summer time', async () => {
    const [summer] = await read(
      row({
        start: '2018-01-10 10:00:00',
        answer: '',
        end: '2018-01-10 10:00:30',
        billsec: '0',
        duration: '30',
      }),
    );
    expect(summer?.ok && summer.record.startedAt).toBe('2018-01-10T12:00:00.000Z'); // UTC-2 in summer 2018
    const [utc] = await read(row(), { timezone: 'UTC' });
    expect(utc?.ok && utc.record.startedAt).toBe('2026-01-05T08:00:00.000Z');
    const [lisbon] = await read(
      row({ start: '2026-07-01 08:00:00', answer: '', end: '2026-07-01 08:00:09' }),
      {
        timezone: 'Europe/Lisbon',
      },
    );
    expect(lisbon?.ok && lisbon.record.startedAt).toBe('2026-07-01T07:00:00.000Z');
  });

  it('refuses an unknown time zone at the call, before reading', () => {
    let error: unknown;
    try {
      readAsteriskCsv(Readable.from(['']), { timezone: 'Mars/Olympus_Mons' });
    } catch (err) {
      error = err;
    }
    expect(isSigiloError(error, 'VALIDATION_FAILED')).toBe(true);
  });
});

describe('callerNameFromClid', () => {
  it.each([
    ['"Alice" <1001>', '1001', 'Alice'],
    ['Alice <1001>', '1001', 'Alice'],
    ['"Fulano "Tal"" <1001>', '1001', 'Fulano "Tal"'],
    ['<1001>', '1001', null],
    ['"1001" <1001>', '1001', null],
    ['1001', '1001', null],
    ['+5511987654321', '', null],
    ['Recepção', '1001', 'Recepção'],
    ['', '1001', null],
  ])('reads %j as %j', (clid, number, name) => {
    expect(callerNameFromClid(clid, number)).toBe(name);
  });
});
