import { describe, expect, it } from 'vitest';
import type { RetentionBatchRow } from '../store/tables/retention.table.ts';
import { assembleCertificateBody } from './certificate-assembly.ts';
import { digestIds, rootDigest } from './deletion-certificate.ts';
import type { BatchRuleMeta } from './retention-run.repository.ts';

const ticketRule: BatchRuleMeta = {
  rule: { kind: 'after', anchor: 'ticket_resolved', period: 'P2Y' },
  source: 'Decreto 11.034/2022, Art. 12, §5º',
  verified: true,
  categoryLabel: 'Chamados de suporte',
  description: 'chamados de suporte e suas mensagens',
  policyVersion: 4,
};
const cdrRule: BatchRuleMeta = {
  rule: { kind: 'after', anchor: 'record_created', period: 'P5Y' },
  source: 'Lei 12.850/2013, Art. 17',
  verified: false,
  categoryLabel: 'Registros de chamadas',
  description: 'registros de chamadas (CDRs)',
  policyVersion: 4,
};

let seq = 0;
function batch(
  target: string,
  category: string,
  meta: BatchRuleMeta,
  b: { ids: string[]; records: number; subjects: string[]; from: string; to: string; shredded?: number },
): RetentionBatchRow {
  seq += 1;
  return {
    id: `b${seq}`,
    run_id: 'run-1',
    seq,
    target_id: target,
    category,
    rule: JSON.stringify(meta),
    mode: 'items',
    items: b.ids.length,
    records: b.records,
    subject_ids: JSON.stringify(b.subjects),
    shredded: b.shredded ?? 0,
    digest: digestIds(b.ids),
    first_at: b.from,
    last_at: b.to,
    created_at: b.to,
  };
}

describe('certificate assembly', () => {
  it('gives one entry per target, in first-commit order, with counts, span and digests of its batches', () => {
    const batches = [
      batch('telecom.cdr', 'call_record', cdrRule, {
        ids: ['s2', 's1'],
        records: 4000,
        subjects: ['acc-1'],
        from: '2021-03-01T00:00:00.000Z',
        to: '2021-03-01T23:59:00.000Z',
      }),
      batch('core.tickets', 'support_ticket', ticketRule, {
        ids: ['t1'],
        records: 2,
        subjects: ['p-1'],
        from: '2027-01-08T14:00:00.000Z',
        to: '2027-01-10T12:00:00.000Z',
      }),
      batch('telecom.cdr', 'call_record', cdrRule, {
        ids: ['s3'],
        records: 1,
        subjects: ['acc-1', 'acc-2'],
        from: '2021-02-27T10:00:00.000Z',
        to: '2021-02-27T10:05:00.000Z',
        shredded: 0,
      }),
    ];
    const body = assembleCertificateBody({
      id: 'cert-1',
      runId: 'run-1',
      status: 'completed',
      startedAt: '2026-03-02T10:00:00.000Z',
      finishedAt: '2026-03-02T10:01:00.000Z',
      batches,
      policyVersion: 9,
      zone: 'America/Sao_Paulo',
    });
    expect(body.entries.map((e) => e.target)).toEqual(['telecom.cdr', 'core.tickets']);
    const cdr = body.entries[0]!;
    expect(cdr).toMatchObject({
      category: 'call_record',
      categoryLabel: 'Registros de chamadas',
      ruleText: '5 anos a partir da data de cada registro',
      verified: false,
      counts: { items: 3, records: 4001, subjects: 2, shreddedSubjects: 0, batches: 2 },
      timeRange: { from: '2021-02-27T10:00:00.000Z', to: '2021-03-01T23:59:00.000Z' },
    });
    const digests = [digestIds(['s1', 's2']), digestIds(['s3'])];
    expect(cdr.hashes).toEqual({ algorithm: 'sha256', batches: digests, root: rootDigest(digests) });
    expect(body).toMatchObject({
      type: 'sigilo.deletion-certificate',
      id: 'cert-1',
      runStatus: 'completed',
      issuedAt: '2026-03-02T10:01:00.000Z',
      // The version the batches were deleted under, not the caller's fallback.
      policyVersion: 4,
      totals: { items: 4, records: 4003, shreddedSubjects: 0 },
    });
    expect(body.summaryPt).toContain('Foram eliminados 4.003 registros');
    expect(body.summaryPt).toContain('4.001 registros de 2 titulares');
    expect(body.summaryPt).toContain('2 registros de 1 titular');
    expect(body.summaryPt).toContain('Lei 12.850/2013, Art. 17 (fonte não verificada)');
  });
});
