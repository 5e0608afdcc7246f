/**
 * The security-incident register over both dialects: affected subjects computed from the data keys a master-key
 * version wraps, the 3-business-day deadline, guarded and sealed free text, communications, drafts with the
 * items Res. CD/ANPD 15/2024 requires, the access log, and the 5-year retention of the register.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestSigilo, ctx } from '../support/sigilo.ts';
import { DIALECTS } from '../support/stores.ts';
import { expectSigiloError, JOAO, logEntries, MARIA, rawRows, seedCustomer } from '../support/vault.ts';

type TestSigilo = Awaited<ReturnType<typeof createTestSigilo>>;
const dpo = () => ctx('dpo', 'legal_obligation');

describe.each(DIALECTS)('incident register on %s', (dialect) => {
  let t: TestSigilo;
  beforeEach(async () => {
    t = await createTestSigilo(dialect);
  });
  afterEach(async () => t.cleanup());

  const incidents = () => t.sigilo.services.incidents;
  const record = (input: Partial<Parameters<ReturnType<typeof incidents>['record']>[1]> = {}) =>
    t.sigilo.gate.run(dpo(), (s) =>
      incidents().record(s, {
        knownAt: '2026-11-24T15:00:00.000Z',
        occurredAt: '2026-11-23T03:10:00.000Z',
        description: 'Cópia do banco de dados e da chave mestra versão 1 exposta em um bucket público.',
        categories: ['name', 'email', 'tax_id'],
        leakedKeyVersion: 1,
        measures: 'Bucket fechado, chave mestra rotacionada para a versão 2 e dados recifrados.',
        risks: 'Uso dos nomes e e-mails em mensagens de phishing.',
        ...input,
      }),
    );

  it('counts the subjects whose data keys the leaked master-key version wrapped', async () => {
    await seedCustomer(t.sigilo, MARIA);
    await seedCustomer(t.sigilo, JOAO);
    const affected = await t.sigilo.gate.run(dpo(), (s) => incidents().affectedByKeyVersion(s, 1));
    // Two customers: an account and a person each.
    expect(affected).toEqual({ kekVersion: 1, subjects: 4, accounts: 2, people: 2 });
    const incident = await record();
    expect(incident).toMatchObject({
      affectedSubjects: 4,
      affectedBasis: 'key_version',
      leakedKeyVersion: 1,
    });
    // The incident's own key holder is no customer: recording it changes no count.
    expect(await t.sigilo.gate.run(dpo(), (s) => incidents().affectedByKeyVersion(s, 1))).toMatchObject({
      subjects: 4,
    });
    expect(await t.sigilo.gate.run(dpo(), (s) => incidents().affectedByKeyVersion(s, 2))).toMatchObject({
      subjects: 0,
    });
  });

  it('takes a declared number when none can be computed, and needs one or the other', async () => {
    const incident = await record({ leakedKeyVersion: undefined, affectedSubjects: 12 });
    expect(incident).toMatchObject({
      affectedSubjects: 12,
      affectedBasis: 'declared',
      leakedKeyVersion: null,
    });
    const err = await expectSigiloError(record({ leakedKeyVersion: undefined }), 'VALIDATION_FAILED');
    expect(err.details.path).toBe('body.affectedSubjects');
    await expectSigiloError(record({ categories: ['nonsense'] }), 'CATEGORY_NOT_DECLARED');
  });

  it('sets the communication deadline at 3 business days in Brasília, skipping holidays', async () => {
    // Tuesday 24 Nov 2026 → Friday 27 Nov.
    expect((await record()).communicationDueDate).toBe('2026-11-27');
    // Wednesday 18 Nov 2026 → Tuesday 24 Nov (20 Nov, Consciência Negra, is a Friday).
    const late = await record({ knownAt: '2026-11-18T15:00:00.000Z', occurredAt: null });
    expect(late).toMatchObject({ communicationDueDate: '2026-11-24', overdue: true });
    expect(late.communicationDueAt).toBe('2026-11-25T02:59:59.999Z');
  });

  it('seals the free text after the guard removed identifiers, and never stores it in plain columns', async () => {
    const incident = await record({
      description:
        'Planilha com o CPF 123.456.789-09 e o e-mail maria@example.com enviada por engano a terceiro.',
    });
    expect(incident.description).not.toContain('123.456.789-09');
    expect(incident.description).not.toContain('maria@example.com');
    expect(incident.description).toContain('Planilha');
    const [row] = await rawRows(t.sigilo, 'security_incidents');
    const plain = JSON.stringify(
      Object.fromEntries(Object.entries(row!).filter(([k]) => !k.endsWith('_ct'))),
    );
    expect(plain).not.toContain('Planilha');
    expect(Buffer.isBuffer(row!.description_ct) || row!.description_ct instanceof Uint8Array).toBe(true);
  });

  it('writes every step to the access log under the DPO and legal_obligation', async () => {
    const incident = await record();
    await t.sigilo.gate.run(dpo(), (s) => incidents().get(s, incident.id));
    const entries = (await logEntries(t.sigilo)).filter((e) => e.categories.includes('security_incident'));
    expect(entries.map((e) => e.operation)).toEqual(expect.arrayContaining(['insert', 'read']));
    for (const e of entries) expect(e).toMatchObject({ role: 'dpo', purpose: 'legal_obligation' });
    // No other role reaches the register.
    await expectSigiloError(
      t.sigilo.gate.run(ctx('support_agent', 'support'), (s) => incidents().get(s, incident.id)),
      'PURPOSE_NOT_ALLOWED',
    );
  });

  it('records the communications; a late one needs the reasons for the delay', async () => {
    const late = await record({ knownAt: '2026-11-18T15:00:00.000Z', occurredAt: null });
    const err = await expectSigiloError(
      t.sigilo.gate.run(dpo(), (s) => incidents().communicated(s, late.id, 'anpd')),
      'VALIDATION_FAILED',
    );
    expect(err.details.path).toBe('body.delayReason');
    const anpd = await t.sigilo.gate.run(dpo(), (s) =>
      incidents().communicated(s, late.id, 'anpd', {
        delayReason: 'A extensão do incidente só foi confirmada pela perícia em 25/11.',
      }),
    );
    expect(anpd).toMatchObject({ state: 'open', anpdCommunicatedAt: t.clock.now().toISOString() });
    const both = await t.sigilo.gate.run(dpo(), (s) => incidents().communicated(s, late.id, 'subjects'));
    expect(both).toMatchObject({ state: 'communicated', overdue: false });
    expect(both.delayReason).toContain('perícia');
  });

  it('drafts the ANPD communication with the items of Art. 6 and the subjects’ with those of Art. 9', async () => {
    await seedCustomer(t.sigilo, MARIA);
    const incident = await record({
      knownAt: '2026-11-18T15:00:00.000Z',
      occurredAt: '2026-11-17T03:10:00.000Z',
    });
    const { anpd, subjects } = await t.sigilo.gate.run(dpo(), (s) => incidents().drafts(s, incident.id));
    expect(anpd.items.map((i) => i.key)).toEqual([
      'controller',
      'dpo',
      'operator',
      'description',
      'dates',
      'nature',
      'subjects',
      'total_subjects',
      'measures',
      'risks',
      'delay',
    ]);
    const policy = t.sigilo.policies.policy();
    expect(anpd.text).toContain(policy.controller.dpoEmail);
    expect(anpd.text).toContain(policy.controller.name);
    expect(anpd.text).toContain('Nome; Email; CPF/CNPJ');
    expect(anpd.text).toContain('2 titulares');
    expect(anpd.text).toContain('chave mestra rotacionada');
    expect(anpd.text).toContain('phishing');
    expect(anpd.text).toContain('17/11/2026 às 00:10');
    expect(anpd.text).toContain('18/11/2026');
    // Late and no reason given yet: a visible gap, never an invented reason.
    expect(anpd.items.find((i) => i.key === 'delay')!.text).toBe(
      '[a preencher: motivos da demora na comunicação]',
    );
    expect(subjects.items.map((i) => i.key)).toEqual([
      'nature',
      'known',
      'measures',
      'risks',
      'delay',
      'contact',
    ]);
    expect(subjects.text).toContain(policy.controller.dpoEmail);
    expect(subjects.text).toContain('phishing');
    expect(subjects.text).toMatch(/Resolução CD\/ANPD nº 15\/2024/);
  });

  it('keeps the register 5 years from the record, then the retention sweep deletes it', async () => {
    const incident = await record();
    const target = t.sigilo.retention.registry.get('incidents');
    expect(target?.category).toBe('security_incident');
    const rule = t.sigilo.policies.policy().retention.find((r) => r.category === 'security_incident');
    expect(rule).toMatchObject({
      rule: { kind: 'after', anchor: 'record_created', period: 'P5Y' },
      source: 'Resolução CD/ANPD 15/2024, Art. 10',
    });
    t.clock.set('2031-11-25T12:00:00.000Z');
    const runAt = async () => {
      await t.sigilo.retention.engine.run({ targets: ['incidents'] });
      return (await rawRows(t.sigilo, 'security_incidents')).map((r) => r.id);
    };
    expect(await runAt()).toEqual([incident.id]);
    t.clock.set('2031-11-27T12:00:00.000Z');
    expect(await runAt()).toEqual([]);
  });
});
