import { describe, expect, it } from 'vitest';
import type { PreviewReport, PreviewTarget } from './retention-preview.ts';
import { certificateLinePt, previewTextPt, sweepTextPt, verifyTextPt } from './retention-text.ts';
import type { SweepReport, TargetReport } from './retention-sweep.ts';

const ZONE = 'America/Sao_Paulo';
const rule = { kind: 'after', anchor: 'ticket_resolved', period: 'P2Y' } as const;

function previewTarget(items: number, records: number, held: number): PreviewTarget {
  return {
    target: 'core.tickets',
    category: 'support_ticket',
    categoryLabel: 'Chamados de suporte',
    description: 'chamados de suporte e suas mensagens',
    rule,
    ruleText: '2 anos após a resolução do chamado',
    source: 'Decreto 11.034/2022, Art. 12, §5º',
    verified: true,
    due: {
      items,
      records,
      from: items ? '2027-01-08T14:00:00.000Z' : null,
      to: items ? '2027-01-10T12:00:00.000Z' : null,
      oldestExpiry: null,
    },
    held,
    nextExpiry: null,
    capped: false,
  };
}

function preview(t: PreviewTarget, activeHolds: number): PreviewReport {
  return {
    generatedAt: '2029-01-10T15:00:00.000Z',
    policyVersion: 3,
    activeHolds,
    targets: [t],
    note: 'Simulação.',
  };
}

function targetReport(items: number, records: number, held: number): TargetReport {
  return {
    target: 'core.tickets',
    category: 'support_ticket',
    description: 'chamados de suporte e suas mensagens',
    rule,
    ruleText: '2 anos após a resolução do chamado',
    source: 'Decreto 11.034/2022',
    verified: true,
    items,
    records,
    held,
    batches: items ? 1 : 0,
    shreddedSubjects: 0,
  };
}

function sweep(t: TargetReport, shreddedSubjects: number): SweepReport {
  return {
    runId: 'run-1',
    status: 'completed',
    startedAt: '2029-01-10T15:00:00.000Z',
    finishedAt: '2029-01-10T15:00:01.000Z',
    targets: [t],
    totals: { items: t.items, records: t.records, held: t.held, shreddedSubjects },
    incomplete: false,
    certificateId: t.items ? 'cert-1' : null,
  };
}

describe('retention reports in pt-BR', () => {
  it('agree the dry run with one item and with several', () => {
    const one = previewTextPt(preview(previewTarget(1, 1, 1), 1), ZONE);
    expect(one).toContain('1 bloqueio legal ativo');
    expect(one).toContain('seria eliminado 1 item (1 registro), de 8 de janeiro de 2027');
    expect(one).toContain('mantidos por bloqueio legal: 1 item');
    const many = previewTextPt(preview(previewTarget(2, 2_000, 3), 2), ZONE);
    expect(many).toContain('2 bloqueios legais ativos');
    expect(many).toContain('seriam eliminados 2 itens (2.000 registros)');
    expect(many).toContain('mantidos por bloqueio legal: 3 itens');
    const none = previewTextPt(preview(previewTarget(0, 0, 0), 0), ZONE);
    expect(none).toContain('nenhum bloqueio legal ativo');
    expect(none).toContain('nada a eliminar agora');
    expect(none).toContain('mantidos por bloqueio legal: 0 itens');
  });

  it('agree the verb of a sweep with the number of records', () => {
    const one = sweepTextPt(sweep(targetReport(1, 1, 1), 1));
    expect(one).toContain('Foi eliminado 1 registro (1 item); 1 item mantido por bloqueio legal');
    expect(one).toContain('chaves destruídas de 1 titular');
    expect(one).toContain('core.tickets: 1 registro eliminado, 1 item mantido');
    const many = sweepTextPt(sweep(targetReport(2, 5, 2), 2));
    expect(many).toContain('Foram eliminados 5 registros (2 itens); 2 itens mantidos por bloqueio legal');
    expect(many).toContain('chaves destruídas de 2 titulares');
    expect(many).toContain('Certificado de eliminação: cert-1');
    const none = sweepTextPt(sweep(targetReport(0, 0, 0), 0));
    expect(none).toContain('Nenhum registro foi eliminado;');
    expect(none).toContain('Nada foi eliminado; nenhum certificado emitido.');
  });

  it('never mixes English into what staff read', () => {
    const texts = [
      previewTextPt(preview(previewTarget(1, 1, 0), 0), ZONE),
      sweepTextPt({ ...sweep(targetReport(1, 1, 0), 0), incomplete: true }),
      certificateLinePt({
        id: 'cert-1',
        runId: 'run-1',
        issuedAt: '2029-01-10T15:00:01.000Z',
        runStatus: 'interrupted',
        totals: { items: 1, records: 1, shreddedSubjects: 0 },
        categories: ['support_ticket'],
      }),
      verifyTextPt({ ok: false, problem: 'signature_invalid' }),
    ];
    for (const text of texts) {
      expect(text).not.toMatch(/\b(items|records?|held|deleted|rule|source|skipped|completed|interrupted)\b/);
    }
    expect(texts[2]).toContain('interrompida');
    expect(texts[2]).toContain('1 registro ');
  });
});
