import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestSigilo } from '../../../test/support/sigilo.ts';
import { seedCustomer } from '../../../test/support/vault.ts';
import type { CliContext } from '../cli-context.ts';
import { registerIncidentsCommands } from './incidents.command.ts';

describe('sigilo incidents', () => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => cleanup?.());

  it('records an incident with computed subjects, lists it, marks it communicated and prints the drafts', async () => {
    const t = await createTestSigilo('sqlite');
    cleanup = t.cleanup;
    await seedCustomer(t.sigilo);
    let text = '';
    const ctx = {
      withSigilo: (work) => work(t.sigilo),
      print: (l = '') => void (text += `${l}\n`),
      exitCode: 0,
    } as Pick<CliContext, 'withSigilo' | 'print' | 'exitCode'> as CliContext;
    const cli = async (...args: string[]): Promise<string> => {
      const program = new Command().exitOverride().configureOutput({ writeErr: () => undefined });
      registerIncidentsCommands(program, ctx);
      text = '';
      await program.parseAsync(['node', 'sigilo', ...args]);
      return text;
    };

    const recorded = JSON.parse(
      await cli(
        'incidents',
        'record',
        '--known-at',
        '2026-11-24T15:00:00Z',
        '--description',
        'Backup do banco e chave mestra versão 1 copiados por um ex-prestador.',
        '--categories',
        'name,tax_id',
        '--leaked-key-version',
        '1',
        '--json',
      ),
    ) as { id: string; affectedSubjects: number; communicationDueDate: string };
    expect(recorded).toMatchObject({ affectedSubjects: 2, communicationDueDate: '2026-11-27' });
    expect(await cli('incidents', 'list')).toContain(recorded.id);
    expect(await cli('incidents', 'affected', '--kek-version', '1')).toContain('2 subjects');
    expect(await cli('incidents', 'communicated', recorded.id, '--to', 'anpd')).toContain('open');
    const drafts = await cli('incidents', 'drafts', recorded.id, '--to', 'anpd');
    expect(drafts).toContain('Comunicação de incidente de segurança à ANPD');
    expect(drafts).toContain('CPF/CNPJ');
  });
});
