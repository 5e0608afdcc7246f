import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asteriskCdrLine, cli, initWithAccount, installation } from '../../../test/support/cli.ts';
import { DIALECTS } from '../../../test/support/stores.ts';
import { IMPORT_EXIT } from './import.command.ts';

describe.each(DIALECTS)('sigilo import exit statuses on %s', (dialect) => {
  let inst: Awaited<ReturnType<typeof installation>>;
  let accountId: string;
  const file = (name: string, text: string) => {
    const p = path.join(inst.dir, name);
    fs.writeFileSync(p, text);
    return p;
  };
  const run = (...argv: string[]) => cli(inst.env, 'import', '--no-progress', ...argv);

  beforeAll(async () => {
    inst = await installation(dialect);
    inst.env.SIGILO_LOG_LEVEL = 'warn';
    accountId = await initWithAccount(inst);
  });
  afterAll(async () => inst.cleanup());

  it('0 when every record is stored, and again when every record is already stored', async () => {
    const good = file('good.csv', asteriskCdrLine('1763640000.1'));
    const first = await run('--format', 'asterisk-csv', '--account', accountId, good);
    expect(first.code).toBe(IMPORT_EXIT.OK);
    expect(first.out).toMatch(/^Read 1 record in .*: 1 stored, 0 already stored, 0 rejected\./);
    const again = await run('--format', 'asterisk-csv', '--account', accountId, good, '--json');
    expect(again.code).toBe(IMPORT_EXIT.OK);
    expect(JSON.parse(again.out)).toMatchObject({ read: 1, stored: 0, duplicates: 1, rejected: 0 });
  });

  it('2 when some records are rejected and the rest stored; the report lists the rejected lines', async () => {
    const mixed = file(
      'mixed.csv',
      asteriskCdrLine('1763640000.2') + asteriskCdrLine('1763640000.3', 'ontem à tarde'),
    );
    const report = path.join(inst.dir, 'rejected.tsv');
    const res = await run('--format', 'asterisk-csv', '--account', accountId, mixed, '--errors', report);
    expect(res.code).toBe(IMPORT_EXIT.SOME_REJECTED);
    expect(res.out).toContain('1 stored, 0 already stored, 1 rejected');
    expect(fs.readFileSync(report, 'utf8')).toMatch(/^2\t/);
  });

  it('3 when nothing could be stored: the wrong format, or records no rule attributes', async () => {
    const csv = file('wrong.csv', asteriskCdrLine('1763640000.4'));
    const wrong = await run('--format', 'freeswitch-json', '--account', accountId, csv);
    expect(wrong.code).toBe(IMPORT_EXIT.NOTHING_STORED);
    expect(wrong.out).toContain('Nothing was stored: every record was rejected');
    expect(wrong.out).toContain('freeswitch-json format');
    const unattributed = await run('--format', 'asterisk-csv', csv, '--json');
    expect(unattributed.code).toBe(IMPORT_EXIT.NOTHING_STORED);
    expect(JSON.parse(unattributed.out)).toMatchObject({ stored: 0, rejected: 1 });
  });

  it('66 when the input file is missing or cannot be read, naming the path', async () => {
    const missing = path.join(inst.dir, 'no-such-dir', 'Master.csv');
    const res = await run('--format', 'asterisk-csv', missing);
    expect(res.code).toBe(IMPORT_EXIT.NO_INPUT);
    expect(res.err).toContain(`input file not found: ${missing}`);
    const dir = await run('--format', 'asterisk-csv', inst.dir);
    expect(dir.code).toBe(IMPORT_EXIT.NO_INPUT);
    expect(dir.err).toContain(`cannot read input file ${inst.dir} (a directory)`);
  });

  it('64 for usage errors: bad or missing options, an unknown account, a bad time zone', async () => {
    const good = file('usage.csv', asteriskCdrLine('1763640000.5'));
    const cases: [string[], string][] = [
      [['--format', 'cdr-xml', good], '--format must be one of'],
      [[good], "required option '-f, --format <format>' not specified"],
      [['--format', 'asterisk-csv', '--frmat', 'x', good], "unknown option '--frmat'"],
      [['--format', 'asterisk-csv'], "missing required argument 'file'"],
      [['--format', 'asterisk-csv', '--batch-size', 'many', good], '--batch-size must be a whole number'],
      [
        ['--format', 'asterisk-csv', '--account', '01900000-0000-7000-8000-000000000000', good],
        'account not found',
      ],
      [['--format', 'asterisk-csv', '--timezone', 'Mars/Olympus', good], 'time zone'],
    ];
    for (const [argv, message] of cases) {
      const res = await run(...argv);
      expect(res.code, argv.join(' ')).toBe(IMPORT_EXIT.USAGE);
      expect(res.err).toContain(message);
    }
  });

  it('1 for an operational failure (here: a data directory never initialised)', async () => {
    const good = file('op.csv', asteriskCdrLine('1763640000.6'));
    const res = await cli(
      { ...inst.env, SIGILO_DATA_DIR: path.join(inst.dir, 'elsewhere') },
      'import',
      '--format',
      'asterisk-csv',
      good,
    );
    expect(res.code).toBe(IMPORT_EXIT.FAILED);
    expect(res.err).toMatch(/KEY_FILE_MISSING|NOT_INITIALISED/);
  });

  it('--help lists the exit statuses', async () => {
    const res = await cli(inst.env, 'import', '--help');
    expect(res.code).toBe(0);
    for (const code of Object.values(IMPORT_EXIT))
      expect(res.out).toMatch(new RegExp(`^  ${code} +\\S`, 'm'));
  });
});
