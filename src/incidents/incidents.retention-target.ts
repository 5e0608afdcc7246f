/**
 * Retention of the security-incident register (category `security_incident`): kept 5 years from the record
 * (Res. CD/ANPD 15/2024, Art. 10: "pelo prazo mínimo de cinco anos, contado a partir da data do registro"), then
 * deleted through the gate like any other target. An entry names no customer: it keeps no identity alive, and a
 * legal hold scoped to the whole category keeps it longer.
 */
import type { GateSession } from '../gate/gate.ts';
import type { RetentionRule } from '../policy/policy.schema.ts';
import type {
  DeleteResult,
  RetentionItem,
  RetentionRegistry,
  RetentionTarget,
  ScanQuery,
  ScanResult,
} from '../retention/retention-target.ts';
import { anchoredNextExpiry, anchoredScan, type AnchoredFetch } from '../retention/targets/anchored-scan.ts';
import { anchorPage, chunks } from '../retention/targets/target-queries.ts';
import type { Tx } from '../store/store.ts';

interface IncidentAnchorRow {
  id: string;
  anchor: string;
  subject_id: string;
  occurred_at: string | null;
  known_at: string;
}

/** Register entries as a retention target. */
export class IncidentRetentionTarget implements RetentionTarget {
  readonly id = 'incidents';
  readonly category = 'security_incident';
  readonly description = 'registros de incidentes de segurança';
  readonly order = 80;

  supports(rule: RetentionRule): boolean {
    return rule.kind === 'after' && rule.anchor === 'record_created';
  }

  private fetch(db: Tx): AnchoredFetch<IncidentAnchorRow> {
    return async (range) => {
      const q = db
        .selectFrom('security_incidents')
        .select(['id', 'subject_id', 'occurred_at', 'known_at', 'created_at']);
      const rows = await anchorPage(q, 'created_at', 'id', range).execute();
      return rows.map((r) => ({ ...r, anchor: r.created_at }));
    };
  }

  scan(q: ScanQuery): Promise<ScanResult> {
    return anchoredScan(q, 'instant', this.fetch(q.db), (row, at) => ({
      id: row.id,
      subjectId: row.subject_id,
      accounts: [],
      people: [],
      from: row.occurred_at ?? row.known_at,
      to: at,
    }));
  }

  nextExpiry(q: Omit<ScanQuery, 'after' | 'limit' | 'dryRun'>): Promise<string | null> {
    return anchoredNextExpiry(q.clock, q.rule, 'instant', this.fetch(q.db));
  }

  async delete(session: GateSession, items: readonly RetentionItem[]): Promise<DeleteResult> {
    let records = 0;
    for (const part of chunks(items.map((i) => i.id))) {
      records += await session.deleteWhereIn('securityIncidents', 'id', part);
    }
    // The entry's own subject holds nothing else: no identity sweep to queue.
    return { records, subjects: [] };
  }

  references(): Promise<Set<string>> {
    return Promise.resolve(new Set());
  }
}

/** Registers the incident register's retention target. */
export function registerIncidentRetention(registry: RetentionRegistry): void {
  registry.register(new IncidentRetentionTarget());
}
