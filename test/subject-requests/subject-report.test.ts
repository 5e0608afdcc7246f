import { extractText, getDocumentProxy } from 'unpdf';
import { afterEach, describe, expect, it } from 'vitest';
import { renderSubjectReportHtml, renderSubjectReportPdf } from '../../src/reports/subject-report.render.ts';
import { createTestSigilo, ctx, SAMPLE, testClock } from '../support/sigilo.ts';
import { DIALECTS } from '../support/stores.ts';
import { expectSigiloError, seedCustomer } from '../support/vault.ts';

const dpo = (): ReturnType<typeof ctx> => ctx('dpo', 'subject_request');

describe.each(DIALECTS)('the subject report on %s', (dialect) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => cleanup?.());

  it('opens as a PDF whose text names every category held, with basis, source and retention', async () => {
    const t = await createTestSigilo(dialect, { clock: testClock('2026-04-01T12:00:00.000Z') });
    cleanup = t.cleanup;
    const { sigilo } = t;
    const maria = await seedCustomer(sigilo);
    await sigilo.services.telecomIngest.ingestObjects(
      ctx('network_platform', 'provisioning'),
      'cdr',
      [1, 2].map((d) => ({
        platformId: `c${d}`,
        startedAt: `2026-03-0${d}T10:00:00Z`,
        endedAt: `2026-03-0${d}T10:01:00Z`,
        caller: '+5511912345678',
        callee: SAMPLE.phoneE164,
      })),
      { accountId: maria.accountId },
    );
    const r = await sigilo.gate.run(dpo(), (s) =>
      sigilo.services.subjectRequests.create(s, {
        subjectId: maria.personId,
        type: 'access_complete',
        channel: 'email',
      }),
    );
    await expectSigiloError(
      sigilo.gate.run(dpo(), (s) => sigilo.services.subjectAnswers.report(s, r.id)),
      'IDENTITY_NOT_VERIFIED',
    );
    await sigilo.gate.run(dpo(), (s) =>
      sigilo.services.subjectRequests.verifyIdentity(s, r.id, {
        method: 'document_check',
        documentKind: 'rg',
        reference: 'DPO-9',
      }),
    );
    const model = await sigilo.gate.run(dpo(), (s) => sigilo.services.subjectAnswers.report(s, r.id));
    expect(model.categories.map((c) => c.id)).toEqual([
      'name',
      'phone',
      'email',
      'ip_address',
      'postal_address',
      'support_ticket',
      'provisioning_secret',
      'call_record',
    ]);
    const calls = model.categories.find((c) => c.id === 'call_record')!;
    expect(calls).toMatchObject({
      items: 2,
      keptUntil: '5 anos a partir da data de cada registro; o mais recente, até 02/03/2031',
    });
    expect(calls.retentionSource).toContain('a confirmar pelo jurídico');
    expect(model.categories.find((c) => c.id === 'phone')!.keptUntil).toContain('até 02/03/2031');

    const pdf = await renderSubjectReportPdf(model);
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    const { text } = await extractText(await getDocumentProxy(new Uint8Array(pdf)), { mergePages: true });
    const flat = text.replace(/\s+/g, ' ');
    for (const label of [
      'Declaração completa dos dados pessoais tratados',
      'Nome',
      'Telefone',
      'Endereço de IP',
      'Endereço físico',
      'Chamados de suporte',
      'Informações de segurança do provisionamento',
      'Histórico de chamadas telefônicas',
      'Base legal',
      'LGPD Art. 7º, V',
      'contato com o suporte',
      'Decreto 11.034/2022',
      'fonte a confirmar pelo jurídico da operadora',
      '2 itens',
      'Histórico de acessos',
      'encarregado@example.com',
    ]) {
      expect(flat, label).toContain(label);
    }
    // The report describes what is held; the values themselves are only in the export.
    for (const value of [SAMPLE.phoneE164, SAMPLE.personName, SAMPLE.sipSecret, 'Avenida Paulista']) {
      expect(flat).not.toContain(value);
    }
    const html = renderSubjectReportHtml(model);
    expect(html).toContain('<html lang="pt-BR">');
    expect(html).toContain('Histórico de chamadas telefônicas');
    expect(html).not.toContain(SAMPLE.personName);
  });
});
