import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asteriskCdrLine, cli, initWithAccount, installation, TOKEN } from '../../../test/support/cli.ts';
import { DIALECTS } from '../../../test/support/stores.ts';
import { openSigilo, type Sigilo } from '../../app.ts';
import { loadConfig } from '../../config/config.ts';
import { buildApp, type SigiloApp } from '../../http/build-app.ts';
import { createLogger } from '../../http/logger.ts';

interface Rule {
  id: string;
  kind: string;
  pattern: string;
  accountId: string;
  createdAt: string;
}

describe.each(DIALECTS)('sigilo attribution on %s', (dialect) => {
  let inst: Awaited<ReturnType<typeof installation>>;
  let accountId: string;
  const run = (...argv: string[]) => cli(inst.env, 'attribution', ...argv);
  const list = async () => (JSON.parse((await run('list', '--json')).out) as { rules: Rule[] }).rules;

  beforeAll(async () => {
    inst = await installation(dialect);
    accountId = await initWithAccount(inst);
  });
  afterAll(async () => inst.cleanup());

  it('adds a rule of each kind, normalised as the API stores it, and lists them', async () => {
    expect((await run('list')).out).toBe('no attribution rules\n');
    const added: Rule[] = [];
    for (const [kind, pattern] of [
      ['accountcode', 'acme'],
      ['trunk', 'Trunk-ACME'],
      ['username', 'Ramal201'],
      ['ip_range', '2001:DB8:0::/48'],
      ['did_prefix', '+551130001'],
    ]) {
      const res = await run('add', '--kind', kind!, '--pattern', pattern!, '--account', accountId, '--json');
      expect(res.code, res.err).toBe(0);
      added.push(JSON.parse(res.out) as Rule);
      expect(res.err).toContain('"event":"attribution_rule.created"');
    }
    expect(added.map((r) => r.pattern)).toEqual([
      'acme',
      'trunk-acme',
      'ramal201',
      '2001:db8::/48',
      '+551130001',
    ]);
    const rules = await list();
    expect(rules.map((r) => r.id).sort()).toEqual(added.map((r) => r.id).sort());
    expect(rules.every((r) => r.accountId === accountId)).toBe(true);
    const text = await run('list');
    expect(text.out.trim().split('\n')).toHaveLength(5);
    expect(text.out).toContain('trunk-acme');
  });

  it('refuses bad input with the API rules, naming the option, and stores nothing', async () => {
    const before = await list();
    const cases: [string[], string][] = [
      [['--kind', 'ip_range', '--pattern', 'not-an-ip', '--account', accountId], 'INVALID_IP'],
      [
        ['--kind', 'did_prefix', '--pattern', '5511', '--account', accountId],
        'a DID prefix is + and 4 to 15 digits',
      ],
      [['--kind', 'trunk', '--pattern', 'x', '--account', 'acme'], '--account: must match format "uuid"'],
      [['--kind', 'trunk', '--pattern', 'x'.repeat(201), '--account', accountId], '--pattern'],
      [
        ['--kind', 'trunk', '--pattern', 'x', '--account', '01900000-0000-7000-8000-000000000000'],
        'NOT_FOUND',
      ],
      [['--kind', 'trunk', '--pattern', 'Trunk-Acme', '--account', accountId], 'CONFLICT'],
      [['--kind', 'sip_header', '--pattern', 'x', '--account', accountId], 'Allowed choices are'],
    ];
    for (const [argv, message] of cases) {
      const res = await run('add', ...argv);
      expect(res.code, argv.join(' ')).toBe(1);
      expect(res.err).toContain(message);
    }
    expect(await list()).toEqual(before);
  });

  it('a rule added by the CLI attributes an import, shows in GET /v1/attribution-rules, and is removed', async () => {
    // A rule the CLI added decides whose records these are.
    const csv = path.join(inst.dir, 'acme.csv');
    fs.writeFileSync(csv, asteriskCdrLine('1763640000.9'));
    const imported = await cli(
      inst.env,
      'import',
      '--format',
      'asterisk-csv',
      csv,
      '--json',
      '--no-progress',
    );
    expect(imported.code, imported.err).toBe(0);
    expect(JSON.parse(imported.out)).toMatchObject({ stored: 1, rejected: 0 });

    // The API sees the same rules (same service, through the gate).
    const token = TOKEN.exec((await cli(inst.env, 'tokens', 'create', '--role', 'provisioning')).out)![0];
    let sigilo: Sigilo | undefined;
    let app: SigiloApp | undefined;
    try {
      const config = loadConfig(inst.env);
      sigilo = await openSigilo(config);
      app = await buildApp(sigilo, config, { logger: createLogger('silent') });
      const res = await app.inject({
        method: 'GET',
        url: '/v1/attribution-rules',
        headers: { authorization: `Bearer ${token}`, 'sigilo-purpose': 'provisioning' },
      });
      expect(res.statusCode).toBe(200);
      expect(res.json<{ rules: Rule[] }>().rules).toEqual(await list());
    } finally {
      await app?.close();
      await sigilo?.close();
    }

    const trunk = (await list()).find((r) => r.kind === 'trunk')!;
    const removed = await run('remove', trunk.id);
    expect(removed.code).toBe(0);
    expect(removed.out).toBe(`removed ${trunk.id}\n`);
    expect((await list()).some((r) => r.id === trunk.id)).toBe(false);
    const again = await run('remove', trunk.id, '--json');
    expect(again.code).toBe(1);
    expect(again.err).toContain('NOT_FOUND: attribution rule not found');
    const bad = await run('remove', 'trunk-acme');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('VALIDATION_FAILED');
  });
});
