/**
 * Core retention target for support tickets and their messages (category `support_ticket`), kept by default for
 * 2 years after resolution (Decreto 11.034/2022, Art. 12 §5º). An open ticket never expires under that rule.
 * Recordings linked to a ticket are their own target (6 months) and go first; a guard keeps the ticket while one
 * remains (e.g. under a legal hold).
 */
import type { GateSession } from '../../gate/gate.ts';
import type { RetentionRule } from '../../policy/policy.schema.ts';
import type { Tx } from '../../store/store.ts';
import type {
  DeleteResult,
  RetentionItem,
  RetentionTarget,
  ScanQuery,
  ScanResult,
} from '../retention-target.ts';
import { anchoredNextExpiry, anchoredScan, type AnchoredFetch } from './anchored-scan.ts';
import { anchorPage, chunks, countChildRecords, presentIn } from './target-queries.ts';

interface TicketRow {
  id: string;
  anchor: string;
  account_id: string;
  person_id: string | null;
  subject_id: string;
  opened_at: string;
  resolved_at: string | null;
}

/** Tickets with their messages. */
export class TicketTarget implements RetentionTarget {
  readonly id = 'core.tickets';
  readonly category = 'support_ticket';
  readonly description = 'chamados de suporte e suas mensagens';
  readonly order = 70;

  supports(rule: RetentionRule): boolean {
    return rule.kind === 'after' && (rule.anchor === 'ticket_resolved' || rule.anchor === 'record_created');
  }

  private fetch(db: Tx, rule: RetentionRule): AnchoredFetch<TicketRow> {
    const byResolution = rule.kind === 'after' && rule.anchor === 'ticket_resolved';
    const col = byResolution ? 'resolved_at' : 'created_at';
    return async (r) => {
      let q = db
        .selectFrom('tickets')
        .select(['id', 'account_id', 'person_id', 'subject_id', 'opened_at', 'resolved_at', 'created_at']);
      if (byResolution) q = q.where('status', '=', 'resolved').where('resolved_at', 'is not', null);
      const rows = (await anchorPage(q, col, 'id', r).execute()) as (TicketRow & { created_at: string })[];
      // In place: the rows are the driver's own objects, and a copy per row showed in the P5 profile.
      for (const row of rows) row.anchor = byResolution ? (row.resolved_at ?? '') : row.created_at;
      return rows;
    };
  }

  async scan(q: ScanQuery): Promise<ScanResult> {
    const now = q.clock.nowIso();
    const page = await anchoredScan(q, 'instant', this.fetch(q.db, q.rule), (row) => ({
      id: row.id,
      subjectId: row.subject_id,
      accounts: [row.account_id],
      people: row.person_id ? [row.person_id] : [],
      from: row.opened_at,
      to: row.resolved_at ?? now,
    }));
    if (q.dryRun) await countChildRecords(q.db, page.items, 'ticket_messages', 'ticket_id');
    return page;
  }

  nextExpiry(q: Omit<ScanQuery, 'after' | 'limit' | 'dryRun'>): Promise<string | null> {
    return anchoredNextExpiry(q.clock, q.rule, 'instant', this.fetch(q.db, q.rule));
  }

  async delete(session: GateSession, items: readonly RetentionItem[]): Promise<DeleteResult> {
    let records = 0;
    for (const part of chunks(items.map((i) => i.id))) {
      records += await session.deleteWhereIn('ticketMessages', 'ticket_id', part);
      records += await session.deleteWhereIn('tickets', 'id', part);
    }
    return {
      records,
      subjects: [...new Set(items.flatMap((i) => [...i.accounts, ...i.people, i.subjectId]))],
    };
  }

  references(db: Tx, subjectIds: readonly string[]): Promise<Set<string>> {
    // A ticket's subject is its person, else its account (TicketService), so these two columns cover it.
    return presentIn(db, 'tickets', ['account_id', 'person_id'], subjectIds);
  }
}
