import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sigilo } from '../../app.ts';
import { buildCustomer } from '../../../test/retention/retention.fixture.ts';
import { createTestSigilo } from '../../../test/support/sigilo.ts';
import { registerHoldsCommands } from './holds.command.ts';
import { registerRetentionCommands } from './retention.command.ts';

describe('sigilo retention and sigilo holds', () => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    process.exitCode = undefined;
    await cleanup?.();
  });

  it('dry-run, hold, sweep, certify, verify, back up and restore from the command line', async () => {
    const t = await createTestSigilo('sqlite');
    cleanup = t.cleanup;
    const c = await buildCustomer(t.sigilo, t.clock, {
      signedOn: '2026-11-26',
      ticketOpenedAt: '2027-01-08T14:00:00.000Z',
      ticketResolvedAt: '2027-01-10T12:00:00.000Z',
      endedOn: '2027-06-30',
    });
    await t.sigilo.close();
    t.clock.set('2029-02-01T00:00:00.000Z');

    let text = '';
    const out = new Writable({
      write(chunk: Buffer, _enc, cb) {
        text += chunk.toString();
        cb();
      },
    });
    const withSigilo = async <T>(work: (s: Sigilo) => Promise<T>): Promise<T> => {
      const s = await t.reopen();
      try {
        return await work(s);
      } finally {
        await s.close();
      }
    };
    const cli = async (...args: string[]): Promise<string> => {
      const program = new Command().exitOverride().configureOutput({ writeErr: () => undefined });
      registerRetentionCommands(program, withSigilo, { config: () => t.config, out });
      registerHoldsCommands(program, withSigilo, { out });
      text = '';
      await program.parseAsync(['node', 'sigilo', ...args]);
      return text;
    };

    const dry = await cli('retention', 'run', '--dry-run');
    expect(dry).toContain('core.tickets — Chamados de suporte');
    expect(dry).toContain('seria eliminado 1 item (1 registro)');
    expect(dry).toContain('próximo vencimento: 1 de julho de 2032 às 00:00');
    expect(dry).not.toMatch(/\b(items|records|would delete)\b/);

    const hold = JSON.parse(
      await cli(
        'holds',
        'create',
        '--actor',
        'legal-9',
        '--kind',
        'litigation',
        '--scope',
        `account:${c.accountId}`,
        '--categories',
        'support_ticket',
        '--reason',
        'Ação judicial',
        '--json',
      ),
    ) as { id: string; status: string };
    expect(hold.status).toBe('active');
    expect(await cli('holds', 'list', '--status', 'active')).toContain(hold.id);
    await expect(cli('holds', 'release', hold.id, '--reason', 'x')).rejects.toThrow(/--actor/);

    const swept = JSON.parse(await cli('retention', 'run', '--json')) as {
      certificateId: string;
      totals: { held: number };
    };
    expect(swept.totals.held).toBe(1);
    expect(await cli('retention', 'certificates')).toContain(swept.certificateId);
    expect(await cli('retention', 'certificate', swept.certificateId)).toContain('Certificado de eliminação');

    const file = path.join(t.dir, 'cert.json');
    fs.writeFileSync(file, await cli('retention', 'certificate', swept.certificateId, '--json'));
    expect(await cli('retention', 'verify', file)).toContain('Certificado válido');
    const tampered = fs.readFileSync(file, 'utf8').replace(/"records\\":(\d)/, '"records\\":9$1');
    fs.writeFileSync(file, tampered);
    expect(await cli('retention', 'verify', file)).toContain('Certificado INVÁLIDO');
    expect(process.exitCode).toBe(1);
    process.exitCode = undefined;

    const backup = path.join(t.dir, 'backup.db');
    expect(await cli('retention', 'backup', backup)).toContain('Cópia de segurança gravada');
    await cli('holds', 'release', hold.id, '--actor', 'legal-9', '--reason', 'Encerrado');
    t.clock.set('2033-01-01T00:00:00.000Z');
    const final = JSON.parse(await cli('retention', 'run', '--json')) as {
      totals: { shreddedSubjects: number };
    };
    expect(final.totals.shreddedSubjects).toBe(3);
    expect(await cli('retention', 'restore', backup, '--yes')).toContain(
      'as chaves de 3 titulares foram destruídas de novo',
    );
  });
});
