import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChainedEntry } from '../access-log/access-log.entry.ts';
import type { Sigilo } from '../app.ts';
import { createTestSigilo, ctx, SAMPLE } from '../../test/support/sigilo.ts';
import { DIALECTS } from '../../test/support/stores.ts';
import { makeAccount } from '../../test/support/telecom.ts';
import { openPackage, verifyPackage } from './authority-export.ts';
import { cdrOrder } from './authority-request.fixture.ts';

const TARGET = SAMPLE.phoneE164; // +5511987654321
// Numbers a careless search (prefix, suffix, substring, other area code) would mistake for the target.
const LOOK_ALIKES = ['+5511987654322', '+551198765432', '+5521987654321', '+55119876543210'];

const legalA = () => ctx('legal', 'authority_order', 'legal-a');
const legalB = () => ctx('legal', 'authority_order', 'legal-b');

function cdr(id: string, startedAt: string, caller: string, callee: string) {
  const end = new Date(Date.parse(startedAt) + 60_000).toISOString();
  return { platformId: id, startedAt, endedAt: end, caller, callee };
}

describe.each(DIALECTS)('authority answer package on %s', (dialect) => {
  let cleanup: (() => Promise<void>) | undefined;
  const dirs: string[] = [];
  afterEach(async () => {
    await cleanup?.();
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  function tmp(): string {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'sigilo-export-'));
    dirs.push(d);
    return d;
  }

  async function setup() {
    const t = await createTestSigilo(dialect);
    cleanup = t.cleanup;
    t.clock.set('2026-12-01T12:00:00.000Z');
    const sigilo = t.sigilo;
    const a = await makeAccount(sigilo, 'Cliente Alvo Ltda', SAMPLE.cnpj);
    const b = await makeAccount(sigilo, 'Outro Cliente Ltda', '45.723.174/0001-10');
    const push = (accountId: string, items: unknown[]) =>
      sigilo.services.telecomIngest.ingestObjects(ctx('network_platform', 'provisioning'), 'cdr', items, {
        accountId,
      });
    // Account A: two calls with the target in November, one in October (outside the window).
    expect(
      await push(a, [
        cdr('A1', '2026-11-03T10:00:00Z', TARGET, '+551133334444'),
        cdr('A2', '2026-11-20T15:30:00Z', '+551155556666', TARGET),
        cdr('A3', '2026-10-15T09:00:00Z', TARGET, '+551133334444'),
      ]),
    ).toMatchObject({ stored: 3 });
    // Account B, a second subject: one real call to the target, and calls between look-alike numbers.
    expect(
      await push(b, [
        cdr('B1', '2026-11-05T08:00:00Z', '+551177778888', TARGET),
        ...LOOK_ALIKES.map((n, i) => cdr(`B${i + 2}`, `2026-11-1${i}T12:00:00Z`, n, '+551177778888')),
      ]),
    ).toMatchObject({ stored: 5 });
    return { ...t, a, b };
  }

  async function approved(sigilo: Sigilo, body = cdrOrder()) {
    const r = await sigilo.gate.run(legalA(), (s) => sigilo.services.authorityRequests.create(s, body));
    await sigilo.gate.run(legalB(), (s) =>
      sigilo.services.authorityRequests.approve(s, r.id, { reasons: 'Ordem judicial válida' }),
    );
    return r;
  }

  it('holds exactly the covered data, signed, encrypted for the authority, and verifies without a database', async () => {
    const { sigilo } = await setup();
    const r = await approved(sigilo);
    const identity = await generateX25519Identity();
    const recipient = await identityToRecipient(identity);
    const built = await sigilo.gate.run(legalA(), (s) =>
      sigilo.services.authorityRequests.buildPackage(s, r.id, { recipient }),
    );
    expect(built.found).toEqual([{ category: 'call_record', count: 3 }]);
    expect(built.manifest.requestId).toEqual({
      countryCode: 'BR',
      authorisedOrganisationId: '1ª Vara Criminal de São Paulo',
      requestNumber: 'IP 1234/2026-DEIC',
    });

    const file = path.join(tmp(), 'answer.tar.age');
    fs.writeFileSync(file, built.bytes);
    // Without the key the package says nothing.
    expect(built.bytes.includes(Buffer.from(TARGET.slice(3)))).toBe(false);
    await expect(openPackage(file)).rejects.toMatchObject({ code: 'EXPORT_UNREADABLE' });
    const files = await openPackage(file, { identity });
    expect([...files.keys()].sort()).toEqual([
      'carta.html',
      'carta.pdf',
      'dados/call_record.csv',
      'dados/call_record.json',
      'manifest.json',
      'manifest.sig',
    ]);
    const data = JSON.parse(files.get('dados/call_record.json')!.toString()) as {
      rows: { caller: string; callee: string; startedAt: string; platformId: string }[];
    };
    expect(data.rows.map((x) => x.platformId)).toEqual(['A1', 'B1', 'A2']);
    for (const row of data.rows) expect([row.caller, row.callee]).toContain(TARGET);
    const everything = [...files.values()].map((b) => b.toString('latin1')).join('\n');
    // A look-alike is a substring of the target (or the reverse), so match whole numbers.
    for (const n of LOOK_ALIKES) expect(everything).not.toMatch(new RegExp(`\\${n}(?!\\d)`));
    expect(everything).toMatch(new RegExp(`\\${TARGET}(?!\\d)`));
    expect(files.get('dados/call_record.csv')!.toString().trim().split('\n')).toHaveLength(4);

    const html = files.get('carta.html')!.toString();
    expect(html).toContain('Histórico de chamadas telefônicas: 3 registros encontrados');
    expect(html).toContain('Processo 0001234-56.2026.8.26.0050');
    expect(html).toContain(`número ${TARGET}`);
    expect(files.get('carta.pdf')!.subarray(0, 5).toString()).toBe('%PDF-');

    const report = verifyPackage(files, sigilo.keyring.signingPublicKey);
    expect(report).toMatchObject({
      ok: true,
      signature: 'valid',
      publishedKey: true,
      altered: [],
      missing: [],
      added: [],
    });

    const view = await sigilo.gate.run(legalA(), (s) => sigilo.services.authorityRequests.get(s, r.id));
    expect(view).toMatchObject({ state: 'results_ready', packageSha256: built.sha256 });
    const log = await sigilo.store.db
      .selectFrom('access_log')
      .select(['operation', 'subject_id', 'purpose', 'actor'])
      .where('operation', 'in', ['search', 'results'])
      .execute();
    expect(log.filter((e) => e.subject_id === r.id).map((e) => e.operation)).toEqual(['search', 'results']);
    // The CDR reads themselves are logged against the accounts whose records were opened.
    expect(log.every((e) => e.purpose === 'authority_order' && e.actor === 'legal-a')).toBe(true);
    expect((await sigilo.accessLog.verify()).ok).toBe(true);
  });

  it('names one altered byte, a removed file and an added file', async () => {
    const { sigilo } = await setup();
    const r = await approved(sigilo);
    const built = await sigilo.gate.run(legalA(), (s) =>
      sigilo.services.authorityRequests.buildPackage(s, r.id, {
        passphrase: 'correct horse battery staple',
        scryptWorkFactor: 10,
      }),
    );
    const file = path.join(tmp(), 'answer.tar.age');
    fs.writeFileSync(file, built.bytes);
    await expect(openPackage(file, { passphrase: 'wrong horse battery staple' })).rejects.toMatchObject({
      code: 'EXPORT_UNREADABLE',
    });
    const flipped = Buffer.from(built.bytes);
    flipped[flipped.length - 40]! ^= 0x01;
    fs.writeFileSync(file + '.bad', flipped);
    await expect(
      openPackage(file + '.bad', { passphrase: 'correct horse battery staple' }),
    ).rejects.toMatchObject({
      code: 'EXPORT_UNREADABLE',
    });

    const files = await openPackage(file, { passphrase: 'correct horse battery staple' });
    // The recipient unpacks it into a folder; verify-export reads the folder as well.
    const dir = tmp();
    for (const [name, bytes] of files) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), bytes);
    }
    expect(verifyPackage(await openPackage(dir), sigilo.keyring.signingPublicKey).ok).toBe(true);

    const csv = path.join(dir, 'dados/call_record.csv');
    const bytes = fs.readFileSync(csv);
    bytes[bytes.length - 2]! ^= 0x01;
    fs.writeFileSync(csv, bytes);
    fs.rmSync(path.join(dir, 'carta.pdf'));
    fs.writeFileSync(path.join(dir, 'dados/extra.json'), '{}');
    expect(verifyPackage(await openPackage(dir), sigilo.keyring.signingPublicKey)).toMatchObject({
      ok: false,
      signature: 'valid',
      altered: ['dados/call_record.csv'],
      missing: ['carta.pdf'],
      added: ['dados/extra.json'],
    });

    // A manifest edited to match the altered file no longer carries a valid signature.
    const manifestFile = path.join(dir, 'manifest.json');
    fs.writeFileSync(
      manifestFile,
      fs.readFileSync(manifestFile, 'utf8').replace(/"bytes": \d+/, '"bytes": 1'),
    );
    expect(verifyPackage(await openPackage(dir), sigilo.keyring.signingPublicKey).signature).toBe('invalid');
    // Checked against another key than the published one: refused.
    const other = Buffer.alloc(32, 7);
    expect(verifyPackage(files, other)).toMatchObject({ ok: false, publishedKey: false });
  });

  it('searches only what the order covers and refuses to search before approval', async () => {
    const { sigilo, a } = await setup();
    const r = await sigilo.gate.run(legalA(), (s) =>
      sigilo.services.authorityRequests.create(
        s,
        cdrOrder({
          targets: [{ kind: 'account', id: a }],
          requestTypes: ['cdrs', 'cadastral'],
          categories: ['call_record', 'name'],
          window: { from: '2026-11-10T00:00:00Z', to: '2026-11-30T00:00:00Z' },
        }),
      ),
    );
    const to = { passphrase: 'correct horse battery staple', scryptWorkFactor: 10 };
    await expect(
      sigilo.gate.run(legalA(), (s) => sigilo.services.authorityRequests.buildPackage(s, r.id, to)),
    ).rejects.toMatchObject({ code: 'AUTHORITY_REQUEST_STATE', details: { state: 'received' } });
    await sigilo.gate.run(legalB(), (s) =>
      sigilo.services.authorityRequests.approve(s, r.id, { reasons: 'Ordem judicial válida' }),
    );
    const built = await sigilo.gate.run(legalA(), (s) =>
      sigilo.services.authorityRequests.buildPackage(s, r.id, to),
    );
    expect(built.found).toEqual([
      { category: 'call_record', count: 1 },
      { category: 'name', count: 1 },
    ]);
    const file = path.join(tmp(), 'p.age');
    fs.writeFileSync(file, built.bytes);
    const files = await openPackage(file, to);
    const names = JSON.parse(files.get('dados/name.json')!.toString()) as { rows: Record<string, unknown>[] };
    // The name only: no CPF/CNPJ, no address, since the order did not ask for them.
    expect(names.rows).toEqual([{ id: a, holder: 'account', kind: 'company', name: 'Cliente Alvo Ltda' }]);
    const calls = JSON.parse(files.get('dados/call_record.json')!.toString()) as {
      rows: { platformId: string }[];
    };
    expect(calls.rows.map((x) => x.platformId)).toEqual(['A2']);
    const opened = await sigilo.store.db
      .selectFrom('access_log')
      .select('categories')
      .where('subject_id', '=', a)
      .where('purpose', '=', 'authority_order')
      .execute();
    const categories = new Set(opened.flatMap((e) => JSON.parse(e.categories) as string[]));
    expect([...categories].sort()).toEqual(['call_record', 'name']);
  });
  it('keeps a secret request out of the subjects’ views of the log, and a non-secret one in them', async () => {
    const { sigilo, a } = await setup();
    const svc = sigilo.services.authorityRequests;
    const to = { passphrase: 'correct horse battery staple', scryptWorkFactor: 10 };
    const answer = async (body: Record<string, unknown>) => {
      const c = (base: ReturnType<typeof legalA>) => svc.contextFor(base, body);
      const r = await sigilo.gate.run(await c(legalA()), (s) => svc.create(s, body));
      const byId = (base: ReturnType<typeof legalA>) => svc.contextFor(base, r.id);
      await sigilo.gate.run(await byId(legalB()), (s) => svc.approve(s, r.id, { reasons: 'Ordem válida' }));
      await sigilo.gate.run(await byId(legalA()), (s) => svc.buildPackage(s, r.id, to));
      return r;
    };
    const secret = await answer(cdrOrder({ secret: true }));
    // Worked without legal secrecy, a secret request is refused before anything is logged about it.
    await expect(sigilo.gate.run(legalA(), (s) => svc.get(s, secret.id))).rejects.toThrow(/legal secrecy/);

    const view = () =>
      sigilo.accessLog.repo.forSubject(sigilo.store.db, a, 1000, undefined, { excludeSecret: true });
    const all = () => sigilo.accessLog.repo.forSubject(sigilo.store.db, a, 1000);
    const authority = (entries: ChainedEntry[]) => entries.filter((e) => e.purpose === 'authority_order');
    expect(authority(await all()).length).toBeGreaterThan(0);
    expect(authority(await all()).every((e) => e.legalSecrecy === true)).toBe(true);
    expect(authority(await view())).toEqual([]);
    const secretSteps = await sigilo.accessLog.repo.forSubject(sigilo.store.db, secret.id, 100);
    expect(secretSteps.length).toBeGreaterThan(0);
    expect(secretSteps.every((e) => e.legalSecrecy === true)).toBe(true);

    await answer(cdrOrder());
    const visible = authority(await view());
    expect(visible.length).toBeGreaterThan(0);
    expect(visible.every((e) => e.legalSecrecy === undefined && e.categories.includes('call_record'))).toBe(
      true,
    );
    // The flag is hashed: the chain verifies, and clearing it in the database breaks it.
    expect((await sigilo.accessLog.verify()).ok).toBe(true);
    await sigilo.store.db
      .updateTable('access_log')
      .set({ legal_secrecy: 0 })
      .where('legal_secrecy', '=', 1)
      .execute();
    expect((await sigilo.accessLog.verify()).ok).toBe(false);
  });
});
