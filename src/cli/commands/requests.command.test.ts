import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sigilo } from '../../app.ts';
import { createTestSigilo } from '../../../test/support/sigilo.ts';
import { seedCustomer } from '../../../test/support/vault.ts';
import { registerRequestsCommands } from './requests.command.ts';

describe('sigilo requests', () => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => cleanup?.());

  it('creates, lists overdue, verifies and exports from the command line', async () => {
    const t = await createTestSigilo('sqlite');
    cleanup = t.cleanup;
    const maria = await seedCustomer(t.sigilo);
    let text = '';
    const out = new Writable({
      write(chunk: Buffer, _enc, cb) {
        text += chunk.toString();
        cb();
      },
    });
    const withSigilo = <T>(work: (s: Sigilo) => Promise<T>): Promise<T> => work(t.sigilo);
    const cli = async (...args: string[]): Promise<string> => {
      const program = new Command().exitOverride().configureOutput({ writeErr: () => undefined });
      registerRequestsCommands(program, withSigilo, { out });
      text = '';
      await program.parseAsync(['node', 'sigilo', ...args]);
      return text;
    };

    const created = JSON.parse(
      await cli('requests', 'create', '--subject', maria.accountId, '--type', 'access_complete', '--json'),
    ) as { id: string; dueAt: string };
    expect(created.dueAt).toBe('2026-12-12T02:59:59.999Z');
    expect(await cli('requests', 'list', '--overdue')).toBe('No requests.\n');
    t.clock.set('2026-12-13T00:00:00.000Z');
    const overdue = JSON.parse(await cli('requests', 'list', '--overdue', '--json')) as { id: string }[];
    expect(overdue.map((r) => r.id)).toEqual([created.id]);
    expect(await cli('requests', 'list', '--overdue')).toContain(`${created.id}  received`);

    const file = path.join(t.dir, 'export.json');
    await expect(cli('requests', 'export', created.id, '--out', file)).rejects.toMatchObject({
      code: 'IDENTITY_NOT_VERIFIED',
    });
    expect(fs.existsSync(file)).toBe(false);
    await cli('requests', 'verify', created.id, '--document', 'company_registration', '--reference', 'DPO-1');
    await cli('requests', 'export', created.id, '--out', file);
    expect((fs.statSync(file).mode & 0o777).toString(8)).toBe('600');
    const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as { subject: { id: string } };
    expect(doc.subject.id).toBe(maria.accountId);
  });
});
