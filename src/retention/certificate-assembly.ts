/**
 * Assembles the body of a deletion certificate from the batches a run committed: one entry per target (rule,
 * legal source, counts, time range, the batch digests and their root), run totals and the Portuguese summary.
 * Pure: the caller reads the batches and signs the result (see deletion-certificate.ts).
 */
import { retentionPeriodPt } from '../policy/policy.render.ts';
import type { RetentionBatchRow } from '../store/tables/retention.table.ts';
import {
  rootDigest,
  summaryPt,
  type CertificateBody,
  type CertificateEntry,
} from './deletion-certificate.ts';
import { batchRuleMeta, batchSubjects } from './retention-run.repository.ts';

/** What a certificate is issued for. */
export interface CertifiedRun {
  /** The certificate's id. */
  id: string;
  runId: string;
  status: CertificateBody['runStatus'];
  startedAt: string;
  finishedAt: string;
  /** The run's batches in commit order (at least one). */
  batches: readonly RetentionBatchRow[];
  /** The policy version to state when no batch names one (never, for batches this version wrote). */
  policyVersion: number;
  /** IANA zone of the dates in the summary. */
  zone: string;
}

function entryOf(
  target: string,
  list: readonly RetentionBatchRow[],
): CertificateEntry & { policyVersion: number } {
  const first = list[0]!;
  const meta = batchRuleMeta(first);
  const digests = list.map((b) => b.digest);
  const subjects = new Set(list.flatMap(batchSubjects));
  return {
    target,
    category: first.category,
    categoryLabel: meta.categoryLabel,
    description: meta.description,
    rule: meta.rule,
    ruleText: retentionPeriodPt(meta.rule),
    source: meta.source,
    verified: meta.verified,
    counts: {
      items: list.reduce((n, b) => n + b.items, 0),
      records: list.reduce((n, b) => n + Number(b.records), 0),
      subjects: subjects.size,
      shreddedSubjects: list.reduce((n, b) => n + b.shredded, 0),
      batches: list.length,
    },
    timeRange: {
      from: list.reduce((m, b) => (b.first_at < m ? b.first_at : m), first.first_at),
      to: list.reduce((m, b) => (b.last_at > m ? b.last_at : m), first.last_at),
    },
    hashes: { algorithm: 'sha256', batches: digests, root: rootDigest(digests) },
    policyVersion: meta.policyVersion,
  };
}

/** The certificate body of a run: entries in the order targets first committed a batch. */
export function assembleCertificateBody(run: CertifiedRun): CertificateBody {
  const groups = new Map<string, RetentionBatchRow[]>();
  for (const b of run.batches) groups.set(b.target_id, [...(groups.get(b.target_id) ?? []), b]);
  let policyVersion = run.policyVersion;
  const entries: CertificateEntry[] = [...groups.entries()].map(([target, list]) => {
    const { policyVersion: version, ...entry } = entryOf(target, list);
    // The version the batches were deleted under; should a new one be published mid-run, the last target's.
    policyVersion = version;
    return entry;
  });
  const withoutSummary: Omit<CertificateBody, 'summaryPt'> = {
    type: 'sigilo.deletion-certificate',
    version: 1,
    id: run.id,
    runId: run.runId,
    runStatus: run.status,
    issuedAt: run.finishedAt,
    sweep: { startedAt: run.startedAt, finishedAt: run.finishedAt },
    policyVersion,
    entries,
    totals: {
      items: entries.reduce((n, e) => n + e.counts.items, 0),
      records: entries.reduce((n, e) => n + e.counts.records, 0),
      shreddedSubjects: entries.reduce((n, e) => n + e.counts.shreddedSubjects, 0),
    },
  };
  return { ...withoutSummary, summaryPt: summaryPt(withoutSummary, run.zone) };
}
