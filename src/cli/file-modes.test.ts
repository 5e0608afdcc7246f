import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Capture, cli, installation, modeOf, TOKEN, waitFor, walk } from '../../test/support/cli.ts';
import { ctx, SAMPLE } from '../../test/support/sigilo.ts';
import { DIALECTS } from '../../test/support/stores.ts';
import { openSigilo } from '../app.ts';
import { loadConfig } from '../config/config.ts';
import { backupPostgres } from '../retention/backup.ts';
import { runCli } from './main.ts';

/** Every file under `root` is 0600 and every directory 0700 (this test process keeps its usual umask). */
function expectPrivate(root: string): string[] {
  const paths = walk(root);
  for (const p of paths) {
    const want = fs.statSync(p).isDirectory() ? '700' : '600';
    expect(modeOf(p).toString(8), `mode of ${p}`).toBe(want);
  }
  return paths.map((p) => path.relative(root, p));
}

describe.each(DIALECTS)('files Sigilo writes on %s', (dialect) => {
  let inst: Awaited<ReturnType<typeof installation>>;
  let dataDir: string;
  beforeAll(async () => {
    inst = await installation(dialect);
    inst.env.SIGILO_LOG_LEVEL = 'warn';
    dataDir = inst.env.SIGILO_DATA_DIR!;
  });
  afterAll(async () => inst.cleanup());

  it('init + serve + writes + a backup: every file 0600, every directory 0700', async () => {
    expect((await cli(inst.env, 'init')).code).toBe(0);

    const out = new Capture();
    const stop = new AbortController();
    const serving = runCli(['serve', '--port', '0'], {
      out,
      err: new Capture(),
      env: inst.env,
      signal: stop.signal,
    });
    try {
      const url = await waitFor(() => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out.text)?.[1], 30_000);
      // A write over HTTP while the server runs (the database's WAL is in use)...
      const admin = TOKEN.exec((await cli(inst.env, 'tokens', 'create', '--role', 'admin')).out)![0];
      const created = await fetch(`${url}/v1/tokens`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ role: 'auditor', label: 'modos' }),
      });
      expect(created.status).toBe(201);
      // ...and personal data, a recording blob and a shred through the gate.
      const sigilo = await openSigilo(loadConfig(inst.env));
      try {
        const accountId = await sigilo.gate.run(ctx('support_agent', 'contracting'), (s) =>
          sigilo.services.accounts.create(s, {
            kind: 'company',
            name: SAMPLE.companyName,
            taxId: SAMPLE.cnpj,
          }),
        );
        const ticketId = await sigilo.gate.run(ctx('support_agent', 'support'), (s) =>
          sigilo.services.tickets.open(s, { accountId, channel: 'phone', title: 'Chamada cai' }),
        );
        await sigilo.services.recordings.upload(
          ctx('support_agent', 'support'),
          ticketId,
          Readable.from([Buffer.alloc(4096, 1)]),
          { contentType: 'audio/wav' },
        );
        const gone = await sigilo.gate.run(ctx('support_agent', 'contracting'), (s) =>
          sigilo.services.accounts.create(s, {
            kind: 'company',
            name: 'Outra Ltda',
            taxId: '11.444.777/0001-61',
          }),
        );
        await sigilo.gate.run(ctx('system', 'legal_obligation'), (s) =>
          s.shredSubject(gone, 'erasure request'),
        );
      } finally {
        await sigilo.close();
      }
      const live = expectPrivate(dataDir);
      expect(live).toEqual(expect.arrayContaining(['master.key', 'recordings']));
      if (dialect === 'sqlite')
        expect(live).toEqual(expect.arrayContaining(['sigilo.db', 'sigilo.db-wal', 'sigilo.db-shm']));
      expect(
        live.some((p) => p.startsWith('recordings/') && fs.statSync(path.join(dataDir, p)).isFile()),
      ).toBe(true);
    } finally {
      stop.abort();
      expect(await serving).toBe(0);
    }

    expect((await cli(inst.env, 'retention', 'ledger', 'sync')).code).toBe(0);
    const backups = path.join(inst.dir, 'backups');
    const backup = path.join(backups, dialect === 'sqlite' ? 'sigilo.db' : 'sigilo.dump');
    if (dialect === 'sqlite') {
      const backedUp = await cli(inst.env, 'retention', 'backup', backup);
      expect(backedUp.code, backedUp.err).toBe(0);
    } else {
      // `sigilo retention backup` dumps the whole database; the shared test database holds every suite's schema,
      // so this installation's schema is dumped through the same function.
      await backupPostgres({ url: inject('postgresUrl')!, file: backup, schema: inst.schema! });
    }
    expect(expectPrivate(dataDir)).toContain('shred-ledger.jsonl');
    expect(expectPrivate(backups)).toContain(path.basename(backup));
    expect(fs.statSync(backup).size).toBeGreaterThan(0);

    // Reports the CLI writes on request.
    const rendered = path.join(inst.dir, 'politica.md');
    expect((await cli(inst.env, 'policy', 'render', '--out', rendered)).code).toBe(0);
    const csv = path.join(inst.dir, 'cdr.csv');
    fs.writeFileSync(csv, 'not,a,cdr\n');
    const report = path.join(inst.dir, 'rejected.tsv');
    await cli(inst.env, 'import', '--format', 'asterisk-csv', csv, '--errors', report);
    expect(modeOf(rendered)).toBe(0o600);
    expect(modeOf(report)).toBe(0o600);
  }, 120_000);

  it('refuses a data directory or key directory that group or others may write, naming path and mode', async () => {
    fs.chmodSync(dataDir, 0o770);
    try {
      for (const argv of [['audit', 'verify'], ['serve', '--port', '0'], ['init']]) {
        const res = await cli(inst.env, ...argv);
        expect(res.code, argv.join(' ')).toBe(1);
        expect(res.err).toContain(
          `DATA_DIR_INSECURE: the data directory ${dataDir} is writable by group or others (mode 0770)`,
        );
        expect(res.err).toContain(`chmod 700 ${dataDir}`);
      }
    } finally {
      fs.chmodSync(dataDir, 0o700);
    }
    expect((await cli(inst.env, 'audit', 'verify')).code).toBe(0);

    // A key file elsewhere: its directory counts too (whoever writes it can swap the key file).
    const keyDir = path.join(inst.dir, 'keys');
    fs.mkdirSync(keyDir, { mode: 0o700 });
    fs.copyFileSync(path.join(dataDir, 'master.key'), path.join(keyDir, 'master.key'));
    const env = { ...inst.env, SIGILO_KEY_FILE: path.join(keyDir, 'master.key') };
    expect((await cli(env, 'audit', 'verify')).code).toBe(0);
    fs.chmodSync(keyDir, 0o777);
    const res = await cli(env, 'audit', 'verify');
    expect(res.code).toBe(1);
    expect(res.err).toContain(`DATA_DIR_INSECURE: the master key directory ${keyDir} is writable`);
    expect(res.err).toContain('(mode 0777)');
  });

  it.runIf(dialect === 'sqlite')(
    'narrows a database file that an older version left readable by others',
    async () => {
      const db = path.join(dataDir, 'sigilo.db');
      fs.chmodSync(db, 0o644);
      expect((await cli(inst.env, 'audit', 'verify')).code).toBe(0);
      expect(modeOf(db)).toBe(0o600);
    },
  );
});
