/**
 * Builds the records of processing (LGPD Art. 37) from the policy in force and live counts. It reads counts over
 * plain columns only — no personal value and no id leaves it — so it needs no policy decision per category; the
 * callers (the DPO's or auditor's route, `sigilo report processing`) write each generation to the access log.
 */
import type { Policy } from '../policy/policy.schema.ts';
import type { Db, Tx } from '../store/store.ts';
import { buildProcessingRecord, type ProcessingRecordModel } from './processing-record.model.ts';
import { ProcessingRecordRepository } from './processing-record.repository.ts';

export class ProcessingRecordService {
  private readonly repo = new ProcessingRecordRepository();

  constructor(
    private readonly policy: () => Policy,
    private readonly now: () => Date,
  ) {}

  /** The report as of now, from `db` (a transaction gives one consistent snapshot of the counts). */
  async build(db: Db | Tx): Promise<ProcessingRecordModel> {
    const [categories, purposes, subjects] = [
      await this.repo.categoryCounts(db),
      await this.repo.purposeCounts(db),
      await this.repo.customerSubjects(db),
    ];
    return buildProcessingRecord(this.policy(), { categories, purposes, subjects }, this.now().toISOString());
  }
}
