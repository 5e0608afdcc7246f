/**
 * The identity sweep (LGPD Arts. 15–16): identity and contact data (name, CPF/CNPJ, phones, e-mails, IP addresses,
 * postal addresses) are kept while any other retained record needs the subject, then the subject's data keys are
 * destroyed (crypto-shredding: every ciphertext under them becomes unreadable, backups included once the shred
 * journal is replayed) and its identity rows deleted.
 *
 * Candidates are the subjects some other target just deleted records of (queued by the engine in
 * `retention_orphans`). A candidate is kept while any registered target still references it, or while a person is
 * linked to an account that still exists; deleting an account queues its people in turn.
 */
import { forgetAccountLinks } from '../../gate/account-links.ts';
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
import { chunks, presentIn } from './target-queries.ts';

/** The categories the identity sweep removes; a hold on any of them keeps the subject's identity. */
export const IDENTITY_CATEGORIES = [
  'name',
  'tax_id',
  'phone',
  'email',
  'ip_address',
  'postal_address',
] as const;

export const IDENTITY_TARGET_ID = 'core.identity';

/** Reason recorded in the signed shred ledger (no personal data). */
export const IDENTITY_SHRED_REASON = 'retention: identity no longer referenced (while_referenced)';

/** Accounts and people whose identity data nothing retained needs any more. */
export class IdentityTarget implements RetentionTarget {
  readonly id = IDENTITY_TARGET_ID;
  readonly category = 'name';
  readonly holdCategories = IDENTITY_CATEGORIES;
  readonly description =
    'dados cadastrais e de contato (nome, CPF/CNPJ, telefones, e-mails, IPs e endereços)';
  readonly order = 1000;

  constructor(private readonly targets: () => readonly RetentionTarget[]) {}

  supports(rule: RetentionRule): boolean {
    return rule.kind === 'while_referenced';
  }

  /** Of `ids`, the subjects something retained still needs. */
  private async referenced(db: Tx, ids: readonly string[]): Promise<Set<string>> {
    const out = await this.references(db, ids);
    for (const t of this.targets()) {
      if (t.id === this.id) continue;
      for (const s of await t.references(db, ids)) out.add(s);
    }
    return out;
  }

  async scan(q: ScanQuery): Promise<ScanResult> {
    let sel = q.db
      .selectFrom('retention_orphans as o')
      .leftJoin('subjects as s', 's.id', 'o.subject_id')
      .select(['o.subject_id', 'o.token', 'o.enqueued_at', 's.kind', 's.created_at']);
    if (q.after !== null) sel = sel.where('o.subject_id', '>', q.after);
    const rows = await sel.orderBy('o.subject_id').limit(q.limit).execute();
    const referenced = await this.referenced(
      q.db,
      rows.map((r) => r.subject_id),
    );
    const now = q.clock.nowIso();
    const items: RetentionItem[] = [];
    const done: { subject_id: string; token: string }[] = [];
    for (const r of rows) {
      if (!r.kind || referenced.has(r.subject_id)) {
        // Still needed (or not a subject): drop it from the queue; deleting what references it queues it again.
        done.push(r);
        continue;
      }
      items.push({
        id: r.subject_id,
        subjectId: r.subject_id,
        accounts: r.kind === 'account' ? [r.subject_id] : [],
        people: r.kind === 'person' ? [r.subject_id] : [],
        from: r.created_at ?? r.enqueued_at,
        to: now,
        expiresAt: r.enqueued_at < now ? r.enqueued_at : now,
      });
    }
    if (!q.dryRun) {
      for (const part of chunks(done, 200)) {
        // Only the entry examined: a concurrent re-enqueue changed the token and must survive.
        await q.db
          .deleteFrom('retention_orphans')
          .where((eb) =>
            eb.or(part.map((d) => eb.and([eb('subject_id', '=', d.subject_id), eb('token', '=', d.token)]))),
          )
          .execute();
      }
    }
    const last = rows.at(-1);
    return { items, next: last && rows.length >= q.limit ? last.subject_id : null };
  }

  nextExpiry(): Promise<string | null> {
    // Identity has no date of its own: it goes when the last record that needs it goes.
    return Promise.resolve(null);
  }

  async delete(session: GateSession, items: readonly RetentionItem[]): Promise<DeleteResult> {
    const accounts = items.filter((i) => i.accounts.includes(i.id)).map((i) => i.id);
    const people = items.filter((i) => i.people.includes(i.id)).map((i) => i.id);
    const all = [...accounts, ...people];
    const db = session.tx;
    let records = 0;

    for (const t of this.targets()) if (t.forgetSubjects) records += await t.forgetSubjects(session, all);

    // The links go first (with their sets' heads: those of the subjects that go, rewritten for those that stay).
    const links = await forgetAccountLinks(session, accounts, people);
    records += links.deleted;
    const linkedPeople = new Set(links.people);
    for (const part of chunks(accounts)) {
      records += await session.deleteWhereIn('addresses', 'owner_id', part);
      records += await session.deleteWhereIn('accounts', 'id', part);
    }
    for (const part of chunks(people)) {
      for (const view of ['phones', 'emails', 'ipAddresses'] as const) {
        records += await session.deleteWhereIn(view, 'person_id', part);
      }
      records += await session.deleteWhereIn('addresses', 'owner_id', part);
      records += await session.deleteWhereIn('people', 'id', part);
    }

    const shredded: string[] = [];
    for (const part of chunks(all)) {
      const live = await db
        .selectFrom('subjects')
        .select('id')
        .where('id', 'in', part)
        .where('shredded_at', 'is', null)
        .execute();
      for (const s of live) {
        await session.shredSubject(s.id, IDENTITY_SHRED_REASON);
        shredded.push(s.id);
      }
      await db.deleteFrom('retention_orphans').where('subject_id', 'in', part).execute();
    }
    for (const p of people) linkedPeople.delete(p);
    return { records, subjects: [...linkedPeople].sort(), shredded };
  }

  references(db: Tx, subjectIds: readonly string[]): Promise<Set<string>> {
    // A person linked to an account that still exists stays (the link is removed with the account).
    return presentIn(db, 'account_people', ['person_id'], subjectIds);
  }
}
