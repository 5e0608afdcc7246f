import fs from 'node:fs';
import path from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, initWithAccount, installation } from '../../../test/support/cli.ts';
import { DIALECTS } from '../../../test/support/stores.ts';
import { cdrOrder } from '../../authority-requests/authority-request.fixture.ts';
import { openPackage } from '../../authority-requests/authority-export.ts';

describe.each(DIALECTS)('sigilo authority and verify-export on %s', (dialect) => {
  let inst: Awaited<ReturnType<typeof installation>>;
  const run = (...argv: string[]) => cli(inst.env, 'authority', ...argv);

  beforeAll(async () => {
    inst = await installation(dialect);
    await initWithAccount(inst);
  });
  afterAll(async () => inst.cleanup());

  // Every command opens Sigilo anew: slow on a shared PostgreSQL.
  it(
    'runs a request from intake to a package that verify-export checks without a database',
    { timeout: 120_000 },
    async () => {
      const file = path.join(inst.dir, 'request.json');
      fs.writeFileSync(
        file,
        JSON.stringify(cdrOrder({ window: { from: '2026-11-01T00:00:00Z', to: '2026-11-30T00:00:00Z' } })),
      );
      const refused = await run(
        'create',
        '--actor',
        'legal-a',
        '--file',
        path.join(inst.dir, 'missing.json'),
      );
      expect(refused.code).toBe(1);
      const noOrder = path.join(inst.dir, 'no-order.json');
      fs.writeFileSync(noOrder, JSON.stringify(cdrOrder({ courtOrderRef: undefined })));
      const rule = await run('create', '--actor', 'legal-a', '--file', noOrder);
      expect(rule.code).toBe(1);
      expect(rule.err).toContain('AUTHORITY_COURT_ORDER_REQUIRED');

      const created = await run('create', '--actor', 'legal-a', '--file', file, '--json');
      expect(created.code).toBe(0);
      const id = (JSON.parse(created.out) as { id: string }).id;
      const self = await run('approve', id, '--actor', 'legal-a', '--reasons', 'ok');
      expect(self.code).toBe(1);
      expect(self.err).toContain('AUTHORITY_FOUR_EYES');
      expect((await run('approve', id, '--actor', 'legal-b', '--reasons', 'Ordem válida')).code).toBe(0);

      // The authority's age key pair: Sigilo gets the public half only.
      const identity = await generateX25519Identity();
      const idFile = path.join(inst.dir, 'authority.key');
      fs.writeFileSync(idFile, `${identity}\n`);
      const out = path.join(inst.dir, 'answer.tar.age');
      const recipient = await identityToRecipient(identity);
      const exported = await run('export', id, '--actor', 'legal-a', '--out', out, '--recipient', recipient);
      expect(exported.code).toBe(0);
      expect(exported.out).toContain('found       call_record: 0');
      expect(fs.statSync(out).mode & 0o777).toBe(0o600);
      const key = (await run('public-key')).out.trim();
      expect(Buffer.from(key, 'base64')).toHaveLength(32);

      // No database, no data directory: only the package, the key and the passphrase.
      const bare = { SIGILO_DATA_DIR: path.join(inst.dir, 'nowhere'), SIGILO_LOG_LEVEL: 'silent' };
      const ok = await cli(bare, 'verify-export', out, '--identity-file', idFile, '--public-key', key);
      expect(ok).toMatchObject({ code: 0 });
      expect(ok.out).toContain('signature   valid (published key)');
      expect(ok.out).toContain('request     BR / 1ª Vara Criminal de São Paulo / IP 1234/2026-DEIC');
      expect(fs.existsSync(bare.SIGILO_DATA_DIR)).toBe(false);

      const dir = path.join(inst.dir, 'unpacked');
      for (const [name, bytes] of await openPackage(out, { identity })) {
        fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
        fs.writeFileSync(path.join(dir, name), bytes);
      }
      const html = path.join(dir, 'carta.html');
      fs.writeFileSync(html, fs.readFileSync(html, 'utf8').replace('nenhum registro', 'nenhum  registro'));
      fs.rmSync(path.join(dir, 'dados/call_record.csv'));
      const bad = await cli(bare, 'verify-export', dir, '--public-key', key, '--json');
      expect(bad.code).toBe(2);
      expect(JSON.parse(bad.out)).toMatchObject({
        ok: false,
        altered: ['carta.html'],
        missing: ['dados/call_record.csv'],
        added: [],
      });

      expect(
        (await run('deliver', id, '--actor', 'legal-a', '--reasons', 'Entregue por e-mail institucional'))
          .code,
      ).toBe(0);
      expect((await run('close', id, '--actor', 'legal-a')).out).toContain('closed');
      const counts = await run('counts', '--json');
      expect(JSON.parse(counts.out)).toEqual([
        { month: expect.any(String) as string, authorityType: 'judge', count: 1 },
      ]);
      expect(counts.out).not.toContain('+55');
    },
  );
});
