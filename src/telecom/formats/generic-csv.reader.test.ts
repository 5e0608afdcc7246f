import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSigiloError } from '../../errors.ts';
import type { SigiloError } from '../../errors.ts';
import type { ParseOutcome } from './cdr-record.ts';
import { readGenericCsv } from './generic-csv.reader.ts';
import { loadGenericMapping, parseGenericMapping } from './generic-mapping.schema.ts';
import type { GenericCsvMapping } from './generic-mapping.schema.ts';
import { readCdrs } from './index.ts';

async function read(text: string, mapping: unknown, timezone?: string): Promise<ParseOutcome[]> {
  const out: ParseOutcome[] = [];
  const options = { mapping: mapping as GenericCsvMapping, ...(timezone ? { timezone } : {}) };
  for await (const o of readGenericCsv(Readable.from([text]), options)) out.push(o);
  return out;
}

function failure(fn: () => unknown): SigiloError {
  try {
    fn();
  } catch (err) {
    if (isSigiloError(err)) return err;
    throw err;
  }
  throw new Error('expected a SigiloError');
}

async function failureOf(promise: Promise<unknown>): Promise<SigiloError> {
  try {
    await promise;
  } catch (err) {
    if (isSigiloError(err)) return err;
    throw err;
  }
  throw new Error('expected a SigiloError');
}

const BILLING_EXPORT = [
  'id;inicio;atendida;fim;origem;destino;status;sentido;ramal',
  'c-1;05/01/2026 08:00:00;05/01/2026 08:00:04;05/01/2026 08:01:04;1001;11987654321;ATENDIDA;saida;SIP/1001',
  'c-2;05/01/2026 09:00:00;;05/01/2026 09:00:20;+5521998765432;1133334444;ocupado;entrada;',
  'c-3;31/02/2026 09:00:00;;05/01/2026 09:00:20;1001;1002;;;',
  '',
].join('\r\n');

const BILLING_MAPPING = {
  delimiter: ';',
  header: true,
  timeFormat: 'dd/MM/yyyy HH:mm:ss',
  columns: {
    platformId: 'id',
    startedAt: 'inicio',
    answeredAt: 'atendida',
    endedAt: 'fim',
    caller: 'origem',
    callee: 'destino',
    disposition: 'status',
    direction: 'sentido',
    channel: 'Ramal',
  },
};

describe('readGenericCsv', () => {
  it('reads a header file with a luxon time format, deriving what the file lacks', async () => {
    const outcomes = await read(BILLING_EXPORT, BILLING_MAPPING);
    expect(outcomes[0]).toEqual({
      ok: true,
      record: {
        naturalKey: 'generic:c-1',
        platform: 'generic',
        platformId: 'c-1',
        linkedId: null,
        startedAt: '2026-01-05T11:00:00.000Z',
        answeredAt: '2026-01-05T11:00:04.000Z',
        endedAt: '2026-01-05T11:01:04.000Z',
        durationSec: 64,
        billSec: 60,
        caller: '1001',
        callee: '11987654321',
        callerName: null,
        accountCode: null,
        context: null,
        channel: 'SIP/1001',
        dstChannel: null,
        username: null,
        sourceIp: null,
        disposition: 'answered',
        direction: 'outbound',
        sourceLine: 2,
      },
    });
    expect(outcomes[1]).toMatchObject({
      ok: true,
      record: { disposition: 'busy', direction: 'inbound', billSec: 0, durationSec: 20, answeredAt: null },
    });
    expect(outcomes[2]).toEqual({
      ok: false,
      line: 4,
      reason: 'startedAt is not a valid time in the mapped format',
    });
  });

  it('reads a headerless file by position with epoch times, keying rows by their text', async () => {
    const mapping = {
      header: false,
      timeFormat: 'epoch',
      columns: { startedAt: 0, endedAt: '1', caller: 2, callee: 3, durationSec: 4, sourceIp: 5 },
    };
    const text = '1767610800,1767610830.5,1001,1002,30,192.0.2.1\n1767610900,1767610800,1001,1002,0,\n';
    const outcomes = await read(text, mapping);
    expect(outcomes[0]).toMatchObject({
      ok: true,
      record: {
        startedAt: '2026-01-05T11:00:00.000Z',
        endedAt: '2026-01-05T11:00:30.500Z',
        durationSec: 30,
        billSec: 0,
        sourceIp: '192.0.2.1',
        disposition: 'unknown',
        direction: 'unknown',
      },
    });
    expect(outcomes[0]?.ok && outcomes[0].record.naturalKey).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(outcomes[1]).toEqual({ ok: false, line: 2, reason: 'end time is before start time' });
  });

  it('reads ISO times with offsets, and local ones in the mapping zone', async () => {
    const mapping = {
      header: true,
      timezone: 'UTC',
      columns: { startedAt: 's', endedAt: 'e', caller: 'a', callee: 'b' },
    };
    const text = 's,e,a,b\n2026-01-05T08:00:00-03:00,2026-01-05 11:00:09,1001,1002\n';
    const [o] = await read(text, mapping, 'Asia/Tokyo');
    expect(o).toMatchObject({
      ok: true,
      record: { startedAt: '2026-01-05T11:00:00.000Z', endedAt: '2026-01-05T11:00:09.000Z', durationSec: 9 },
    });
  });

  it('reports a row too short for the mapping', async () => {
    const mapping = { header: false, columns: { startedAt: 0, endedAt: 1, caller: 2, callee: 5 } };
    const outcomes = await read('2026-01-05 08:00:00,2026-01-05 08:00:09,1001,1002\n', mapping);
    expect(outcomes).toEqual([{ ok: false, line: 1, reason: 'expected at least 6 columns, found 4' }]);
  });

  it('refuses a header without a mapped column, naming the mapping path', async () => {
    const mapping = { header: true, columns: { startedAt: 's', endedAt: 'e', caller: 'a', callee: 'nope' } };
    const err = await failureOf(read('s,e,a,b\n', mapping));
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.details).toMatchObject({ path: 'columns.callee' });
  });

  it('needs a mapping', () => {
    expect(failure(() => readCdrs('generic-csv', Readable.from(['']))).code).toBe('VALIDATION_FAILED');
  });
});

describe('column mappings', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sigilo-mapping-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads YAML and JSON files', async () => {
    const yamlFile = path.join(dir, 'billing.yaml');
    await writeFile(
      yamlFile,
      [
        'delimiter: ";"',
        'header: true',
        'timeFormat: dd/MM/yyyy HH:mm:ss',
        'columns:',
        '  startedAt: inicio',
        '  endedAt: fim',
        '  caller: origem',
        '  callee: destino',
        '',
      ].join('\n'),
    );
    const jsonFile = path.join(dir, 'billing.json');
    await writeFile(jsonFile, JSON.stringify(BILLING_MAPPING));
    expect(await loadGenericMapping(yamlFile)).toMatchObject({
      delimiter: ';',
      columns: { callee: 'destino' },
    });
    expect(await loadGenericMapping(jsonFile)).toEqual(BILLING_MAPPING);
  });

  it('names the file and every problem path', async () => {
    const file = path.join(dir, 'bad.yaml');
    await writeFile(
      file,
      [
        'header: false',
        'delimiter: ";;"',
        'timezone: Mars/Base',
        'columns:',
        '  startedAt: inicio',
        '  colour: 3',
      ].join('\n'),
    );
    const err = await failureOf(loadGenericMapping(file));
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.details.path).toBe(file);
    const paths = (err.details.issues as { path: string }[]).map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'delimiter',
        'timezone',
        'columns.endedAt',
        'columns.caller',
        'columns.callee',
        'columns',
      ]),
    );
    expect(err.message).toContain(file);
  });

  it('refuses names without a header, and unreadable or missing files', async () => {
    const err = failure(() =>
      parseGenericMapping({
        header: false,
        columns: { startedAt: 'inicio', endedAt: 1, caller: 2, callee: 3 },
      }),
    );
    expect(err.details.issues).toEqual([
      { path: 'columns.startedAt', message: 'without a header, columns are given by 0-based position' },
    ]);
    const broken = path.join(dir, 'broken.yaml');
    await writeFile(broken, 'header: [true\n');
    expect((await failureOf(loadGenericMapping(broken))).details.path).toBe(broken);
    const missing = path.join(dir, 'missing.yaml');
    expect((await failureOf(loadGenericMapping(missing))).details.path).toBe(missing);
  });
});
