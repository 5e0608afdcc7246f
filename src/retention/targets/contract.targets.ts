/**
 * Core retention targets for the contracting records: invoices (category `payment`) and contracts with their
 * history events (category `contract`), both kept by default for 5 years after the contract ends (CTN Arts.
 * 173–174; Código Civil Art. 206 §5º I). Invoices go first; a contract waits while any invoice of it remains
 * (held, or kept longer by a longer payment rule), because the invoice still refers to it.
 */
import type { RetentionRule } from '../../policy/policy.schema.ts';
import type { Tx } from '../../store/store.ts';
import type { GateSession } from '../../gate/gate.ts';
import type {
  DeleteResult,
  RetentionItem,
  RetentionTarget,
  ScanQuery,
  ScanResult,
} from '../retention-target.ts';
import { anchoredNextExpiry, anchoredScan, type AnchoredFetch, type AnchorType } from './anchored-scan.ts';
import { anchorPage, chunks, countChildRecords, presentIn } from './target-queries.ts';

function anchorType(rule: RetentionRule): AnchorType {
  return rule.kind === 'after' && rule.anchor === 'record_created' ? 'instant' : 'end_date';
}

function supportsContractRule(rule: RetentionRule): boolean {
  return rule.kind === 'after' && (rule.anchor === 'contract_end' || rule.anchor === 'record_created');
}

function referencedAccounts(
  db: Tx,
  table: 'contracts' | 'invoices',
  subjectIds: readonly string[],
): Promise<Set<string>> {
  // Contracts and invoices are sealed under their account's subject, so the account column is the reference.
  return presentIn(db, table, ['account_id'], subjectIds);
}

interface ContractRow {
  id: string;
  anchor: string;
  account_id: string;
  subject_id: string;
  started_on: string;
  ended_on: string | null;
}

/** Contracts and their history events. */
export class ContractTarget implements RetentionTarget {
  readonly id = 'core.contracts';
  readonly category = 'contract';
  readonly description = 'contratos e histórico de contratações';
  readonly order = 60;

  supports(rule: RetentionRule): boolean {
    return supportsContractRule(rule);
  }

  private fetch(db: Tx, rule: RetentionRule, waitForInvoices: boolean): AnchoredFetch<ContractRow> {
    const col = anchorType(rule) === 'end_date' ? 'c.ended_on' : 'c.created_at';
    return async (r) => {
      let q = db
        .selectFrom('contracts as c')
        .select(['c.id', 'c.account_id', 'c.subject_id', 'c.started_on', 'c.ended_on', 'c.created_at'])
        // An active contract is never deleted, whatever the anchor.
        .where('c.status', '=', 'terminated')
        .where('c.ended_on', 'is not', null);
      if (waitForInvoices) {
        q = q.where((eb) =>
          eb.not(
            eb.exists(eb.selectFrom('invoices as i').select('i.id').whereRef('i.contract_id', '=', 'c.id')),
          ),
        );
      }
      const rows = await anchorPage(q, col, 'c.id', r).execute();
      return rows.map((row) => ({
        ...row,
        anchor: col === 'c.ended_on' ? (row.ended_on ?? '') : row.created_at,
      }));
    };
  }

  async scan(q: ScanQuery): Promise<ScanResult> {
    const page = await anchoredScan(q, anchorType(q.rule), this.fetch(q.db, q.rule, true), (row) => ({
      id: row.id,
      subjectId: row.subject_id,
      accounts: [row.account_id],
      people: [],
      from: q.clock.dayStart(row.started_on),
      to: q.clock.contractEnd(row.ended_on ?? row.started_on),
    }));
    if (q.dryRun) await countChildRecords(q.db, page.items, 'contract_events', 'contract_id');
    return page;
  }

  nextExpiry(q: Omit<ScanQuery, 'after' | 'limit' | 'dryRun'>): Promise<string | null> {
    return anchoredNextExpiry(q.clock, q.rule, anchorType(q.rule), this.fetch(q.db, q.rule, false));
  }

  async delete(session: GateSession, items: readonly RetentionItem[]): Promise<DeleteResult> {
    const ids = items.map((i) => i.id);
    let records = 0;
    for (const part of chunks(ids)) {
      records += await session.deleteWhereIn('contractEvents', 'contract_id', part);
      records += await session.deleteWhereIn('contracts', 'id', part);
    }
    return { records, subjects: [...new Set(items.flatMap((i) => [...i.accounts, i.subjectId]))] };
  }

  references(db: Tx, subjectIds: readonly string[]): Promise<Set<string>> {
    return referencedAccounts(db, 'contracts', subjectIds);
  }
}

interface InvoiceRow {
  id: string;
  anchor: string;
  account_id: string;
  subject_id: string;
  issued_on: string;
}

/** Invoices (amounts and due/paid dates). */
export class InvoiceTarget implements RetentionTarget {
  readonly id = 'core.invoices';
  readonly category = 'payment';
  readonly description = 'faturas e datas de pagamento';
  readonly order = 50;

  supports(rule: RetentionRule): boolean {
    return supportsContractRule(rule);
  }

  private fetch(db: Tx, rule: RetentionRule): AnchoredFetch<InvoiceRow> {
    const byContractEnd = anchorType(rule) === 'end_date';
    const col = byContractEnd ? 'c.ended_on' : 'i.created_at';
    return async (r) => {
      let q = db
        .selectFrom('invoices as i')
        .innerJoin('contracts as c', 'c.id', 'i.contract_id')
        .select(['i.id', 'i.account_id', 'i.subject_id', 'i.issued_on', 'i.created_at', 'c.ended_on']);
      if (byContractEnd) q = q.where('c.status', '=', 'terminated').where('c.ended_on', 'is not', null);
      const rows = await anchorPage(q, col, 'i.id', r).execute();
      return rows.map((row) => ({ ...row, anchor: byContractEnd ? (row.ended_on ?? '') : row.created_at }));
    };
  }

  scan(q: ScanQuery): Promise<ScanResult> {
    return anchoredScan(q, anchorType(q.rule), this.fetch(q.db, q.rule), (row) => ({
      id: row.id,
      subjectId: row.subject_id,
      accounts: [row.account_id],
      people: [],
      from: q.clock.dayStart(row.issued_on),
      to: q.clock.dayStart(row.issued_on),
    }));
  }

  nextExpiry(q: Omit<ScanQuery, 'after' | 'limit' | 'dryRun'>): Promise<string | null> {
    return anchoredNextExpiry(q.clock, q.rule, anchorType(q.rule), this.fetch(q.db, q.rule));
  }

  async delete(session: GateSession, items: readonly RetentionItem[]): Promise<DeleteResult> {
    let records = 0;
    for (const part of chunks(items.map((i) => i.id)))
      records += await session.deleteWhereIn('invoices', 'id', part);
    return { records, subjects: [...new Set(items.flatMap((i) => [...i.accounts, i.subjectId]))] };
  }

  references(db: Tx, subjectIds: readonly string[]): Promise<Set<string>> {
    return referencedAccounts(db, 'invoices', subjectIds);
  }
}
