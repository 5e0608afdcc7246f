/**
 * Legal holds: an authority's preservation request or a litigation suspends deletion of the records it covers —
 * scope (an account or a person), categories and an optional time window — until it is released or expires.
 * A Marco Civil preservation request (Lei 12.965/2014, Art. 13 §§2–4 and Art. 15 §§1–2) lapses 60 days after it
 * was made unless the court request is registered. Every change is kept in an insert-only history.
 * Holds hold no personal data: scopes are pseudonymous ids, and `reason` must say why without naming anyone (the
 * sensitive-data guard refuses identifiers in it). Staff type the reasons and references all the same, so they and
 * the history's details are sealed (src/retention/sealing/hold-text.gate.ts) and read for people through the gate.
 */
import { DateTime } from 'luxon';
import { v7 as uuidv7 } from 'uuid';
import { SigiloError } from '../errors.ts';
import type { AccessContext } from '../gate/access-context.ts';
import type { Gate, GateSession } from '../gate/gate.ts';
import { refuseSensitiveText } from '../guard/free-text.guard.ts';
import { requireDuty } from '../policy/policy.evaluate.ts';
import type { Policy } from '../policy/policy.schema.ts';
import type { Db, Store, Tx } from '../store/store.ts';
import type { PlainTable } from '../store/database.ts';
import type { LegalHoldRow as StoredHoldRow } from '../store/tables/retention.table.ts';
import {
  checkHoldInput,
  CourtRequestBody,
  ExtendHoldBody,
  NewHoldBody,
  ReleaseHoldBody,
  type CourtRequest,
  type ExtendHold,
  type HoldKind,
  type NewHold,
  type ReleaseHold,
} from './legal-hold.schema.ts';
import type { RetentionClock } from './retention-clock.ts';
import type { RetentionItem } from './retention-target.ts';
import { checkedLogged, readLogged, type HoldText, type HoldTexts } from './sealing/hold-text.gate.ts';

/** A hold's row as services read it: its plain columns. */
type LegalHoldRow = PlainTable<StoredHoldRow>;

/** Days after the authority's request within which the court request must be filed (Marco Civil Art. 13 §3). */
export const MARCO_CIVIL_PRESERVATION_DAYS = 60;

export type HoldStatus = 'active' | 'released' | 'expired';

/** A hold as services, routes and the CLI see it. */
export interface LegalHold {
  id: string;
  kind: HoldKind;
  scope: { kind: 'account' | 'person'; id: string };
  categories: string[];
  window: { from: string | null; to: string | null };
  reason: string;
  authorityRequestRef: string | null;
  courtRequestRef: string | null;
  requestedAt: string;
  expiresAt: string | null;
  status: HoldStatus;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  releasedAt: string | null;
  releasedBy: string | null;
  releaseReason: string | null;
}

export interface HoldEvent {
  kind: 'created' | 'extended' | 'court_request' | 'released';
  at: string;
  actor: string;
  details: Record<string, unknown>;
}

/** An active hold in the form the sweep checks items against. */
export interface ActiveHold {
  id: string;
  scopeKind: 'account' | 'person';
  scopeId: string;
  categories: ReadonlySet<string>;
  from: string | null;
  to: string | null;
  /** For a hold on a person: the accounts the person belongs to (records kept per account, such as CDRs). */
  accounts: readonly string[];
}

/** True when `hold` keeps `item` of a target whose hold categories are `categories`. */
export function holdCovers(hold: ActiveHold, categories: readonly string[], item: RetentionItem): boolean {
  if (!categories.some((c) => hold.categories.has(c))) return false;
  if (hold.scopeKind === 'account') {
    if (!item.accounts.includes(hold.scopeId)) return false;
  } else if (!item.people.includes(hold.scopeId)) {
    // Records kept per account (calls, connections, contracts) name no person: a hold on a person keeps those of
    // the person's accounts — erring on keeping, since a deletion cannot be undone.
    if (item.people.length > 0 || !item.accounts.some((a) => hold.accounts.includes(a))) return false;
  }
  if (hold.from !== null && item.to < hold.from) return false;
  if (hold.to !== null && item.from > hold.to) return false;
  return true;
}

/** True when an active hold on any of `categories` overlaps `[from, to)` whatever its scope (period fast path). */
export function holdOverlapsPeriod(
  hold: ActiveHold,
  categories: readonly string[],
  from: string,
  to: string,
): boolean {
  if (!categories.some((c) => hold.categories.has(c))) return false;
  if (hold.from !== null && to <= hold.from) return false;
  if (hold.to !== null && from > hold.to) return false;
  return true;
}

/** Creates, changes and reads legal holds; the sweep asks it which holds are active. */
export class LegalHoldService {
  constructor(
    private readonly deps: {
      store: Store;
      policy: () => Policy;
      clock: RetentionClock;
      /** Seals and opens the holds' free text. */
      texts: HoldTexts;
      /** Reads of that text for people are gate sessions (logged). */
      gate: Pick<Gate, 'run'>;
    },
  ) {}

  private inTx<T>(db: Tx | undefined, work: (tx: Tx) => Promise<T>): Promise<T> {
    return db ? work(db) : this.deps.store.transaction(work);
  }

  /** Who may create, extend and release holds (`legal_hold.write`) or read them (`legal_hold.read`): the policy. */
  private assertRole(
    ctx: AccessContext,
    duty: 'legal_hold.read' | 'legal_hold.write',
    operation: string,
  ): void {
    requireDuty(this.deps.policy(), ctx.role, duty, `${operation} legal holds`);
  }

  /** Normalises a date (start of day; end of day for window ends) or instant to ISO UTC text. */
  private instant(value: string, endOfDay = false): string {
    if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
      const day = DateTime.fromISO(value, { zone: this.deps.clock.zone }).startOf('day');
      return (endOfDay ? day.plus({ days: 1 }).minus({ milliseconds: 1 }) : day)
        .toUTC()
        .toJSDate()
        .toISOString();
    }
    return DateTime.fromISO(value).toUTC().toJSDate().toISOString();
  }

  private preservationDeadline(requestedAt: string): string {
    return DateTime.fromISO(requestedAt, { zone: 'utc' })
      .setZone(this.deps.clock.zone)
      .plus({ days: MARCO_CIVIL_PRESERVATION_DAYS })
      .toUTC()
      .toJSDate()
      .toISOString();
  }

  /** Creates a hold; `db` lets an authority-request workflow create it in its own transaction. */
  async create(ctx: AccessContext, input: NewHold, db?: Tx): Promise<LegalHold> {
    this.assertRole(ctx, 'legal_hold.write', 'create');
    const h = checkHoldInput(NewHoldBody, input);
    refuseSensitiveText(h.reason, 'hold.reason');
    const policy = this.deps.policy();
    const declared = new Set(policy.categories.map((c) => c.id));
    const categories = [...new Set(h.categories)].sort();
    for (const c of categories) {
      if (!declared.has(c)) {
        throw new SigiloError('CATEGORY_NOT_DECLARED', `category '${c}' is not declared in the policy`, {
          path: 'hold.categories',
          category: c,
        });
      }
    }
    const now = this.deps.clock.nowIso();
    const from = h.window?.from ? this.instant(h.window.from) : null;
    const to = h.window?.to ? this.instant(h.window.to, true) : null;
    if (from && to && from > to) {
      throw new SigiloError('VALIDATION_FAILED', 'hold window ends before it starts', {
        path: 'hold.window',
      });
    }
    const requestedAt = h.requestedAt ? this.instant(h.requestedAt) : now;
    if (requestedAt > now) {
      throw new SigiloError('VALIDATION_FAILED', 'requestedAt is in the future', {
        path: 'hold.requestedAt',
      });
    }
    let expiresAt = h.expiresAt ? this.instant(h.expiresAt, true) : null;
    if (h.kind === 'preservation') {
      if (!h.authorityRequestRef) {
        throw new SigiloError(
          'VALIDATION_FAILED',
          'a preservation hold needs the authority request reference',
          {
            path: 'hold.authorityRequestRef',
          },
        );
      }
      if (!h.courtRequestRef) {
        const deadline = this.preservationDeadline(requestedAt);
        if (deadline <= now) {
          throw new SigiloError(
            'VALIDATION_FAILED',
            `the preservation request lapsed ${MARCO_CIVIL_PRESERVATION_DAYS} days after it was made without a court request`,
            { path: 'hold.requestedAt' },
          );
        }
        expiresAt = expiresAt && expiresAt < deadline ? expiresAt : deadline;
      }
    }
    if (expiresAt !== null && expiresAt <= now) {
      throw new SigiloError('VALIDATION_FAILED', 'expiresAt is not in the future', {
        path: 'hold.expiresAt',
      });
    }
    const id = uuidv7();
    return this.inTx(db, async (tx) => {
      await this.deps.texts.lockHolds(tx);
      const subject = await tx
        .selectFrom('subjects')
        .select('kind')
        .where('id', '=', h.scope.id)
        .executeTakeFirst();
      if (subject?.kind !== h.scope.kind) {
        throw new SigiloError('NOT_FOUND', `${h.scope.kind} not found`, {
          resource: h.scope.kind,
          path: 'hold.scope.id',
        });
      }
      const row = {
        id,
        kind: h.kind,
        scope_kind: h.scope.kind,
        scope_id: h.scope.id,
        categories: JSON.stringify(categories),
        window_from: from,
        window_to: to,
        requested_at: requestedAt,
        expires_at: expiresAt,
        created_at: now,
        created_by: ctx.actor,
        updated_at: now,
        released_at: null,
        released_by: null,
      };
      await tx.insertInto('legal_holds').values(row).execute();
      await this.deps.texts.write(tx, row, {
        reason: h.reason,
        authorityRequestRef: h.authorityRequestRef ?? null,
        courtRequestRef: h.courtRequestRef ?? null,
      });
      await this.event(tx, id, 'created', ctx.actor, { kind: h.kind, categories, expiresAt });
      await this.deps.texts.sealHold(tx, id, now);
      return this.load(tx, id);
    });
  }

  /** Moves the end of an active hold later. */
  async extend(ctx: AccessContext, id: string, input: ExtendHold): Promise<LegalHold> {
    this.assertRole(ctx, 'legal_hold.write', 'extend');
    const e = checkHoldInput(ExtendHoldBody, input);
    if (e.reason !== undefined) refuseSensitiveText(e.reason, 'hold.reason');
    const until = this.instant(e.expiresAt, true);
    return this.inTx(undefined, async (tx) => {
      await this.deps.texts.lockHolds(tx);
      const hold = await this.loadActive(tx, id);
      if (hold.expiresAt === null) {
        throw new SigiloError('CONFLICT', 'the hold has no end date to extend', { resource: 'hold' });
      }
      if (until <= hold.expiresAt) {
        throw new SigiloError('VALIDATION_FAILED', 'the new end must be later than the current one', {
          path: 'hold.expiresAt',
        });
      }
      if (hold.kind === 'preservation' && !hold.courtRequestRef) {
        if (until > this.preservationDeadline(hold.requestedAt)) {
          throw new SigiloError(
            'VALIDATION_FAILED',
            `without a court request a preservation hold ends ${MARCO_CIVIL_PRESERVATION_DAYS} days after the request`,
            { path: 'hold.expiresAt' },
          );
        }
      }
      const now = this.deps.clock.nowIso();
      await tx
        .updateTable('legal_holds')
        .set({ expires_at: until, updated_at: now })
        .where('id', '=', id)
        .execute();
      await this.event(tx, id, 'extended', ctx.actor, { from: hold.expiresAt, to: until, reason: e.reason });
      await this.deps.texts.sealHold(tx, id, now);
      return this.load(tx, id);
    });
  }

  /** Registers the court request of a preservation hold: it no longer lapses after 60 days. */
  async registerCourtRequest(ctx: AccessContext, id: string, input: CourtRequest): Promise<LegalHold> {
    this.assertRole(ctx, 'legal_hold.write', 'change');
    const c = checkHoldInput(CourtRequestBody, input);
    const expiresAt = c.expiresAt ? this.instant(c.expiresAt, true) : null;
    if (expiresAt !== null && expiresAt <= this.deps.clock.nowIso()) {
      throw new SigiloError('VALIDATION_FAILED', 'expiresAt is not in the future', {
        path: 'hold.expiresAt',
      });
    }
    return this.inTx(undefined, async (tx) => {
      await this.deps.texts.lockHolds(tx);
      await this.loadActive(tx, id);
      const now = this.deps.clock.nowIso();
      await tx
        .updateTable('legal_holds')
        .set({ expires_at: expiresAt, updated_at: now })
        .where('id', '=', id)
        .execute();
      await this.deps.texts.write(tx, await this.plainRow(tx, id), { courtRequestRef: c.ref });
      await this.event(tx, id, 'court_request', ctx.actor, { expiresAt });
      await this.deps.texts.sealHold(tx, id, now);
      return this.load(tx, id);
    });
  }

  /** Releases an active hold: what it kept becomes deletable at the next sweep. */
  async release(ctx: AccessContext, id: string, input: ReleaseHold): Promise<LegalHold> {
    this.assertRole(ctx, 'legal_hold.write', 'release');
    const r = checkHoldInput(ReleaseHoldBody, input);
    refuseSensitiveText(r.reason, 'hold.reason');
    return this.inTx(undefined, async (tx) => {
      await this.deps.texts.lockHolds(tx);
      await this.loadActive(tx, id);
      const now = this.deps.clock.nowIso();
      await tx
        .updateTable('legal_holds')
        .set({ released_at: now, released_by: ctx.actor, updated_at: now })
        .where('id', '=', id)
        .execute();
      await this.deps.texts.write(tx, await this.plainRow(tx, id), { releaseReason: r.reason });
      await this.event(tx, id, 'released', ctx.actor, { reason: r.reason });
      await this.deps.texts.sealHold(tx, id, now);
      return this.load(tx, id);
    });
  }

  /** One hold (its text opened through the gate: logged). */
  async get(ctx: AccessContext, id: string): Promise<LegalHold> {
    this.assertRole(ctx, 'legal_hold.read', 'read');
    return this.deps.gate.run(ctx, (s) => readLogged(s, `hold ${id}`, () => this.load(s.tx, id)));
  }

  /** Holds, newest first, optionally by status or scope. */
  async list(
    ctx: AccessContext,
    filter: { status?: HoldStatus; scopeId?: string; limit?: number } = {},
  ): Promise<LegalHold[]> {
    this.assertRole(ctx, 'legal_hold.read', 'read');
    const now = this.deps.clock.nowIso();
    return this.deps.gate.run(ctx, (s) =>
      readLogged(s, 'holds', async () => {
        let q = s.tx
          .selectFrom('legal_holds')
          .selectAll()
          .orderBy('created_at', 'desc')
          .orderBy('id', 'desc');
        if (filter.scopeId) q = q.where('scope_id', '=', filter.scopeId);
        if (filter.status === 'released') q = q.where('released_at', 'is not', null);
        if (filter.status === 'active') {
          q = q
            .where('released_at', 'is', null)
            .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]));
        }
        if (filter.status === 'expired') {
          q = q.where('released_at', 'is', null).where('expires_at', '<=', now);
        }
        const rows = await q.limit(Math.min(filter.limit ?? 100, 1000)).execute();
        // The listed rows are checked, and so is the set of holds not released: a hold released or deleted with
        // SQL would otherwise just drop out of the "active" listing.
        await this.deps.texts.checkHolds(rows);
        await this.deps.texts.unreleased(s.tx);
        const texts = await this.deps.texts.read(s.tx, rows);
        return rows.map((r) => this.toView(r, texts.get(r.id)!));
      }),
    );
  }

  /** The hold's history, oldest first. */
  async history(ctx: AccessContext, id: string): Promise<HoldEvent[]> {
    this.assertRole(ctx, 'legal_hold.read', 'read');
    return this.deps.gate.run(ctx, (s) =>
      readLogged(s, `hold ${id} history`, async () => {
        await this.load(s.tx, id);
        const rows = await this.deps.texts.readEvents(s.tx, id);
        return rows.map((r) => ({ kind: r.kind, at: r.at, actor: r.actor, details: r.details }));
      }),
    );
  }

  /**
   * Active holds (not released, not expired) on any of `categories` (all when omitted). Every hold not released is
   * read and checked, whatever the categories: a hold released, shortened, narrowed or deleted with SQL (its MAC,
   * or the head of the set, no longer verifies) is an INTEGRITY_ERROR naming it, so that nothing it may keep is
   * deleted. Expiry is decided here, from the checked date.
   */
  async active(db: Tx | Db, categories?: readonly string[]): Promise<ActiveHold[]> {
    const now = this.deps.clock.nowIso();
    const rows = (await this.deps.texts.unreleased(db)).filter(
      (r) => r.expires_at === null || r.expires_at > now,
    );
    const people = rows.filter((r) => r.scope_kind === 'person').map((r) => r.scope_id);
    // Checked too: a link moved with SQL would move the per-account records a hold on the person keeps.
    const links = await this.deps.texts.accountLinks(db, people);
    return rows
      .map((r) => ({
        id: r.id,
        scopeKind: r.scope_kind,
        scopeId: r.scope_id,
        categories: new Set(JSON.parse(r.categories) as string[]),
        from: r.window_from,
        to: r.window_to,
        accounts: links
          .filter((l) => r.scope_kind === 'person' && l.person_id === r.scope_id)
          .map((l) => l.account_id),
      }))
      .filter((h) => !categories || categories.some((c) => h.categories.has(c)));
  }

  /**
   * `active` in gate session `s` (the sweep's batches, a subject's deletion): a hold that does not verify is logged
   * (`legal_hold.check`, naming it) and the session fails, so the deletion it was checked for never happens.
   */
  activeIn(s: GateSession, categories?: readonly string[]): Promise<ActiveHold[]> {
    return checkedLogged(s, () => this.active(s.tx, categories));
  }

  /**
   * Whether any active hold keeps a record of `category` belonging to these accounts/people over `[from, to]`;
   * for other deletion paths (subject-rights requests) that must respect holds too.
   */
  async isHeld(
    s: GateSession,
    q: { category: string; accounts?: string[]; people?: string[]; from: string; to: string },
  ): Promise<boolean> {
    const holds = await this.activeIn(s, [q.category]);
    const item: RetentionItem = {
      id: '',
      subjectId: '',
      accounts: q.accounts ?? [],
      people: q.people ?? [],
      from: q.from,
      to: q.to,
      expiresAt: q.to,
    };
    return holds.some((h) => holdCovers(h, [q.category], item));
  }

  private async loadActive(tx: Tx, id: string): Promise<LegalHold> {
    const hold = await this.load(tx, id, true);
    if (hold.status !== 'active') {
      throw new SigiloError('CONFLICT', `the hold is ${hold.status}`, {
        resource: 'hold',
        status: hold.status,
      });
    }
    return hold;
  }

  private async load(db: Tx | Db, id: string, forUpdate = false): Promise<LegalHold> {
    let q = db.selectFrom('legal_holds').selectAll().where('id', '=', id);
    // Two people extending and releasing the same hold at once must not interleave on PostgreSQL.
    if (forUpdate && this.deps.store.dialect === 'postgres') q = q.forUpdate();
    const row = await q.executeTakeFirst();
    if (!row) throw new SigiloError('NOT_FOUND', 'hold not found', { resource: 'hold' });
    await this.deps.texts.checkHolds([row]);
    const texts = await this.deps.texts.read(db, [row]);
    return this.toView(row, texts.get(row.id)!);
  }

  /** A hold's plain row, for the binding of a text written into it. */
  private async plainRow(tx: Tx, id: string): Promise<LegalHoldRow> {
    return tx.selectFrom('legal_holds').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  }

  private toView(r: LegalHoldRow, t: HoldText): LegalHold {
    const now = this.deps.clock.nowIso();
    const status: HoldStatus = r.released_at
      ? 'released'
      : r.expires_at !== null && r.expires_at <= now
        ? 'expired'
        : 'active';
    return {
      id: r.id,
      kind: r.kind,
      scope: { kind: r.scope_kind, id: r.scope_id },
      categories: JSON.parse(r.categories) as string[],
      window: { from: r.window_from, to: r.window_to },
      reason: t.reason,
      authorityRequestRef: t.authorityRequestRef,
      courtRequestRef: t.courtRequestRef,
      requestedAt: r.requested_at,
      expiresAt: r.expires_at,
      status,
      createdAt: r.created_at,
      createdBy: r.created_by,
      updatedAt: r.updated_at,
      releasedAt: r.released_at,
      releasedBy: r.released_by,
      releaseReason: t.releaseReason,
    };
  }

  private async event(
    tx: Tx,
    holdId: string,
    kind: HoldEvent['kind'],
    actor: string,
    details: Record<string, unknown>,
  ): Promise<void> {
    await this.deps.texts.writeEvent(
      tx,
      { id: uuidv7(), hold_id: holdId, kind, at: this.deps.clock.nowIso(), actor },
      details,
    );
  }
}
