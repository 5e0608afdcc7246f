/** The real platform samples in test/fixtures/cdr (origin and licence in its README) read with the right values. */
import { createReadStream } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixturePath } from '../../../test/support/fixtures.ts';
import type { CdrFormat, ParsedCdr, ParseOutcome, ReaderOptions } from './index.ts';
import { readCdrs } from './index.ts';

async function readAll(format: CdrFormat, rel: string, options: ReaderOptions = {}): Promise<ParseOutcome[]> {
  const file = fixturePath('cdr', rel);
  const out: ParseOutcome[] = [];
  for await (const outcome of readCdrs(format, createReadStream(file), options)) out.push(outcome);
  return out;
}

function records(outcomes: ParseOutcome[]): ParsedCdr[] {
  return outcomes.map((o) => {
    if (!o.ok) throw new Error(`unexpected failure on line ${o.line}: ${o.reason}`);
    return o.record;
  });
}

describe('Asterisk Master.csv sample (18 columns)', () => {
  it('reads both rows with Console/dsp calls to extension 1', async () => {
    const [first, second] = records(
      await readAll('asterisk-csv', 'asterisk-csv/Master.csv', { timezone: 'UTC' }),
    );
    expect(first).toEqual({
      naturalKey: 'asterisk:1270167992.0|1270167992000||Hangup|1',
      platform: 'asterisk',
      platformId: '1270167992.0',
      linkedId: null,
      startedAt: '2010-04-02T00:26:32.000Z',
      answeredAt: '2010-04-02T00:26:32.000Z',
      endedAt: '2010-04-02T00:26:39.000Z',
      durationSec: 7,
      billSec: 7,
      caller: '',
      callee: '1',
      callerName: null,
      accountCode: null,
      context: 'default',
      channel: 'Console/dsp',
      dstChannel: null,
      username: null,
      sourceIp: null,
      disposition: 'answered',
      direction: 'unknown',
      sourceLine: 1,
    });
    expect(second).toMatchObject({
      naturalKey: 'asterisk:1270168442.0|1270168442000||Hangup|1',
      startedAt: '2010-04-02T00:34:02.000Z',
      endedAt: '2010-04-02T00:34:09.000Z',
      sourceLine: 2,
    });
  });

  it('reads the PBX local time in the default zone, America/Sao_Paulo (UTC-3 in April 2010)', async () => {
    const [first] = records(await readAll('asterisk-csv', 'asterisk-csv/Master.csv'));
    expect(first?.startedAt).toBe('2010-04-02T03:26:32.000Z');
    expect(first?.endedAt).toBe('2010-04-02T03:26:39.000Z');
  });
});

describe('FreeSWITCH mod_cdr_csv samples (example template)', () => {
  it('keeps the A and B legs of both calls apart by uuid (legs=ab)', async () => {
    const legs = records(await readAll('freeswitch-csv', 'freeswitch-csv/Master.csv', { timezone: 'UTC' }));
    expect(legs.map((l) => l.naturalKey)).toEqual([
      'freeswitch:02132a5c-b9b1-4dbf-b79c-bdf408854867',
      'freeswitch:99205d8f-5ec4-402e-b174-7a8bb8c23a61',
      'freeswitch:515f34c7-35d4-4b65-99f2-edaad9411fa7',
      'freeswitch:a03307a6-3658-4dde-a25b-bb6aecb96945',
    ]);
    // the B leg names its A leg
    expect(legs[1]?.linkedId).toBe('02132a5c-b9b1-4dbf-b79c-bdf408854867');
    expect(legs[3]?.linkedId).toBe('515f34c7-35d4-4b65-99f2-edaad9411fa7');
    expect(legs[0]).toEqual({
      naturalKey: 'freeswitch:02132a5c-b9b1-4dbf-b79c-bdf408854867',
      platform: 'freeswitch',
      platformId: '02132a5c-b9b1-4dbf-b79c-bdf408854867',
      linkedId: null,
      startedAt: '2023-10-10T23:43:58.000Z',
      answeredAt: '2023-10-10T23:43:59.000Z',
      endedAt: '2023-10-10T23:44:06.000Z',
      durationSec: 8,
      billSec: 7,
      caller: '91342657',
      callee: '1001',
      callerName: 'spypi',
      accountCode: '1001',
      context: 'blueivr',
      channel: null,
      dstChannel: null,
      username: null,
      sourceIp: null,
      disposition: 'answered',
      direction: 'unknown',
      sourceLine: 1,
    });
    expect(legs[2]).toMatchObject({
      caller: '1001',
      callee: '1002',
      callerName: 'Extension 1001',
      context: 'default',
      durationSec: 8,
      billSec: 6,
      startedAt: '2023-10-10T23:44:11.000Z',
      answeredAt: '2023-10-10T23:44:13.000Z',
      endedAt: '2023-10-10T23:44:19.000Z',
      direction: 'internal',
      sourceLine: 3,
    });
    // caller_id_name equal to the number is not a name
    expect(legs[3]?.callerName).toBeNull();
  });

  it('reads the single-leg file', async () => {
    const legs = records(
      await readAll('freeswitch-csv', 'freeswitch-csv/Master-single-leg.csv', { timezone: 'UTC' }),
    );
    expect(legs).toHaveLength(2);
    expect(legs[0]).toMatchObject({
      platformId: 'eb1e406c-8871-4d69-9631-e7130f7ae390',
      linkedId: '1e764847-babe-44c7-8187-af0ce971b1ae',
      caller: '91342657',
      callee: '*1001',
      startedAt: '2023-10-10T23:24:01.000Z',
      answeredAt: '2023-10-10T23:24:03.000Z',
      endedAt: '2023-10-10T23:24:11.000Z',
      durationSec: 10,
      billSec: 8,
      disposition: 'answered',
    });
    expect(legs[1]).toMatchObject({
      platformId: '7866825d-f38c-449e-a562-95250032e426',
      durationSec: 7,
      billSec: 5,
    });
  });
});

describe('FreeSWITCH mod_json_cdr sample', () => {
  it('reads the answered 1001 → 1002 call from the epoch variables, whatever the zone option', async () => {
    for (const timezone of ['UTC', 'America/Sao_Paulo']) {
      const [call] = records(
        await readAll('freeswitch-json', 'freeswitch-json/fsdev1-call-1001-to-1002.json', { timezone }),
      );
      expect(call).toEqual({
        naturalKey: 'freeswitch:3da8bf84-c133-4959-9e24-e72875cb33a1',
        platform: 'freeswitch',
        platformId: '3da8bf84-c133-4959-9e24-e72875cb33a1',
        linkedId: 'f52c26f1-b018-4963-bf6d-a3111d1a0320',
        // start_uepoch 1515666344534355 (the stamps say 11:25:44 in the switch's UTC+1)
        startedAt: '2018-01-11T10:25:44.534Z',
        answeredAt: '2018-01-11T10:25:47.954Z',
        endedAt: '2018-01-11T10:26:55.494Z',
        durationSec: 71,
        billSec: 68,
        caller: '1001',
        callee: '1002',
        callerName: null,
        accountCode: null,
        context: 'default',
        channel: 'sofia/internal/1001@10.10.10.204',
        dstChannel: 'sofia/internal/1002@10.10.10.100:5060',
        username: '1001',
        sourceIp: '10.10.10.100',
        disposition: 'answered',
        direction: 'internal',
        sourceLine: 1,
      });
    }
  });
});

describe('natural keys', () => {
  it('are the same when a file is read again', async () => {
    for (const [format, rel] of [
      ['asterisk-csv', 'asterisk-csv/Master.csv'],
      ['freeswitch-csv', 'freeswitch-csv/Master.csv'],
      ['freeswitch-json', 'freeswitch-json/fsdev1-call-1001-to-1002.json'],
    ] as const) {
      const first = records(await readAll(format, rel)).map((r) => r.naturalKey);
      const again = records(await readAll(format, rel)).map((r) => r.naturalKey);
      expect(again).toEqual(first);
      expect(new Set(first).size).toBe(first.length);
    }
  });
});
