/**
 * Gate extension for the staff free text of legal holds: a hold's reason, release reason and its two references,
 * and the details of its history, sealed under the staff-text key (src/gate/staff-text.cipher.ts) with the hold's
 * unchanging plain columns (scope, categories, window, dates, creator) bound into the associated data. Not under
 * the scope subject's key: a hold and its history are the controller's record and outlive that subject's keys.
 * Reads for people pass a gate session (`readLogged`): one access-log entry, and an INTEGRITY_ERROR naming the row
 * is logged even though the read is rolled back.
 */
import { SigiloError, isSigiloError } from '../../errors.ts';
import type { GateSession } from '../../gate/gate.ts';
import { kernelOf } from '../../gate/gate-kernel.ts';
import { HOLDS_HEAD, RECORD_MACS, RecordMacs } from '../../gate/record-macs.ts';
import {
  appendHistoryEvent,
  readHistory,
  staffTextHistory,
  type HistoryStore,
} from '../../gate/sealed-history.ts';
import { bindingOf, openStaffText, sealStaffText } from '../../gate/staff-text.cipher.ts';
import type { Keyring } from '../../keys/keyring.ts';
import { sealedView, type Db, type StoreDialect, type Tx } from '../../store/store.ts';
import type { LegalHoldEventRow, LegalHoldRow } from '../../store/tables/retention.table.ts';

/** The sealed text of one hold. */
export interface HoldText {
  reason: string;
  releaseReason: string | null;
  authorityRequestRef: string | null;
  courtRequestRef: string | null;
}

const COLUMNS = {
  reason: 'reason_ct',
  releaseReason: 'release_reason_ct',
  authorityRequestRef: 'authority_request_ref_ct',
  courtRequestRef: 'court_request_ref_ct',
} as const;

/** A hold's plain columns (the binding reads those it names). */
type HoldPlain = Omit<LegalHoldRow, (typeof COLUMNS)[keyof typeof COLUMNS] | 'row_mac'>;
type EventPlain = Omit<LegalHoldEventRow, 'details_ct' | 'seq' | 'row_mac'>;
/** A hold's row as the check reads it: its id, the columns its MAC binds and the MAC. */
export type CheckedHoldRow = Pick<
  LegalHoldRow,
  'id' | (typeof RECORD_MACS.legal_holds.columns)[number] | 'row_mac'
>;

/** An event of a hold's history with its details opened. */
export interface OpenedHoldEvent extends EventPlain {
  details: Record<string, unknown>;
}

/** The access-log operation of a read of holds' text. */
export const HOLD_READ_OPERATION = 'legal_hold.read';

/** The access-log operation of a refusal because a hold, its head or its history does not verify. */
export const HOLD_CHECK_OPERATION = 'legal_hold.check';

/** The key ring as the holds' text and MACs need it. */
export type HoldTextKeys = Pick<Keyring, 'staffTextKey' | 'recordMacHasher'>;

/**
 * Seals and opens legal holds' free text, and MACs and checks the holds themselves: each hold's record MAC covers
 * what it keeps and until when (record-macs.ts), and the head `legal_holds` covers the set of holds not released,
 * so that a hold released, narrowed, shortened or deleted with SQL is an INTEGRITY_ERROR wherever holds are read.
 * Built by the retention module with the key ring.
 */
export class HoldTexts {
  private readonly macs: RecordMacs;

  constructor(
    private readonly keyring: HoldTextKeys,
    private readonly dialect: StoreDialect,
  ) {
    this.macs = new RecordMacs(keyring);
  }

  /** Locks the holds' head for a change of a hold (first in its transaction; see RecordMacs.lockHead). */
  async lockHolds(tx: Tx): Promise<void> {
    await this.macs.lockHead(tx, this.dialect, HOLDS_HEAD);
  }

  /**
   * After a hold was created or changed in `tx` (its head locked first): MACs its row as it now is and moves the
   * head of the holds not released.
   */
  async sealHold(tx: Tx, id: string, at: string): Promise<void> {
    const row = await tx.selectFrom('legal_holds').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    await tx
      .updateTable('legal_holds')
      .set({ row_mac: await this.macs.seal('legal_holds', row) })
      .where('id', '=', id)
      .execute();
    const active = await tx
      .selectFrom('legal_holds')
      .select('row_mac')
      .where('released_at', 'is', null)
      .orderBy('id')
      .execute();
    await this.macs.writeHead(
      tx,
      HOLDS_HEAD,
      active.map((r) => r.row_mac ?? Buffer.alloc(0)),
      at,
    );
  }

  /** INTEGRITY_ERROR naming the first hold of `rows` (as stored, `row_mac` included) whose MAC does not match. */
  async checkHolds(rows: readonly CheckedHoldRow[]): Promise<void> {
    await this.macs.check('legal_holds', rows);
  }

  /**
   * Every hold not released, each checked, and the set checked against its head: a hold released, deleted or
   * added with SQL, or any of its columns edited, is an INTEGRITY_ERROR (naming the hold, or the head).
   * Expiry is the caller's to decide (a date, not a write: it stays in the set).
   */
  async unreleased(db: Db | Tx): Promise<CheckedHoldRow[]> {
    // The MACed columns only (not the sealed text): read on every sweep batch.
    const rows = await db
      .selectFrom('legal_holds')
      .select(['id', ...RECORD_MACS.legal_holds.columns, 'row_mac'])
      .where('released_at', 'is', null)
      .orderBy('id')
      .execute();
    await this.checkHolds(rows);
    try {
      await this.macs.checkHead(
        db,
        HOLDS_HEAD,
        rows.map((r) => r.row_mac),
      );
    } catch (err) {
      // Rare (tampering): name the hold when one was released or edited with SQL rather than deleted.
      await this.checkHolds(
        await db.selectFrom('legal_holds').selectAll().where('released_at', 'is not', null).execute(),
      );
      throw err;
    }
    return rows;
  }

  /** The account links of `people` (for holds on a person), each checked: INTEGRITY_ERROR naming a bad one. */
  async accountLinks(
    db: Db | Tx,
    people: readonly string[],
  ): Promise<{ person_id: string; account_id: string }[]> {
    if (people.length === 0) return [];
    const rows = await db
      .selectFrom('account_people')
      .select(['account_id', 'person_id', 'relation', 'created_at', 'row_mac'])
      .where('person_id', 'in', [...people])
      .execute();
    await this.macs.check('account_people', rows);
    // Whole sets, checked against their heads: a link deleted with SQL would let the sweep delete what the hold keeps.
    await this.macs.checkLinkHeads(db, 'person', people, rows);
    return rows;
  }

  private history(db: Db | Tx): HistoryStore {
    return {
      db: sealedView(db as Db),
      dialect: this.dialect,
      macs: this.macs,
      cipher: staffTextHistory(this.keyring),
    };
  }

  /** Seals `texts` into hold `row`'s cells (in the caller's transaction); a null text clears its cell. */
  async write(tx: Tx, row: HoldPlain, texts: Partial<HoldText>): Promise<void> {
    const set: Record<string, Buffer | null> = {};
    for (const [field, text] of Object.entries(texts) as [keyof HoldText, string | null][]) {
      const column = COLUMNS[field];
      set[column] =
        text === null
          ? null
          : sealStaffText(this.keyring, 'legal_holds', row.id, column, text, bindingOf('legal_holds', row));
    }
    if (Object.keys(set).length === 0) return;
    await sealedView(tx).updateTable('legal_holds').set(set).where('id', '=', row.id).execute();
  }

  /** The text of holds `rows`; INTEGRITY_ERROR naming the row when one was edited, moved or rebound. */
  async read(db: Db | Tx, rows: readonly HoldPlain[]): Promise<Map<string, HoldText>> {
    const out = new Map<string, HoldText>();
    if (rows.length === 0) return out;
    const sealed = await sealedView(db as Db)
      .selectFrom('legal_holds')
      .select(['id', ...Object.values(COLUMNS)])
      .where(
        'id',
        'in',
        rows.map((r) => r.id),
      )
      .execute();
    const byId = new Map(sealed.map((r) => [r.id, r]));
    for (const row of rows) {
      const cells = byId.get(row.id);
      const open = (column: (typeof COLUMNS)[keyof typeof COLUMNS], required: boolean): string | null => {
        const value = cells?.[column] ?? null;
        if (value === null && !required) return null;
        return unit('legal_holds', row.id, () =>
          openStaffText(this.keyring, 'legal_holds', row.id, column, value, bindingOf('legal_holds', row)),
        );
      };
      out.set(row.id, {
        reason: open(COLUMNS.reason, true)!,
        releaseReason: open(COLUMNS.releaseReason, row.released_at !== null),
        authorityRequestRef: open(COLUMNS.authorityRequestRef, row.kind === 'preservation'),
        courtRequestRef: open(COLUMNS.courtRequestRef, false),
      });
    }
    return out;
  }

  /** Appends one event to a hold's history, its details sealed, its position MACed and counted by the head. */
  async writeEvent(tx: Tx, event: EventPlain, details: Record<string, unknown>): Promise<void> {
    await appendHistoryEvent(this.history(tx), 'legal_hold_events', event, details);
  }

  /**
   * A hold's history, oldest first, its details opened; INTEGRITY_ERROR naming the event row (or the history's
   * head) when an event was edited, moved, deleted, duplicated, reordered or inserted.
   */
  async readEvents(db: Db | Tx, holdId: string): Promise<OpenedHoldEvent[]> {
    const events = await readHistory(this.history(db), 'legal_hold_events', holdId);
    return events.map((e) => ({
      id: e.id,
      hold_id: String(e.hold_id),
      kind: e.kind as OpenedHoldEvent['kind'],
      at: e.at,
      actor: e.actor,
      details: e.details as Record<string, unknown>,
    }));
  }
}

/**
 * Runs `check` (a read of holds that decides: the sweep's, a deletion's) in gate session `s`: an INTEGRITY_ERROR
 * is logged (operation `legal_hold.check`, naming the row) and thrown; nothing is logged when the holds verify.
 */
export async function checkedLogged<T>(s: GateSession, check: () => Promise<T>): Promise<T> {
  try {
    return await check();
  } catch (err) {
    if (!isSigiloError(err, 'INTEGRITY_ERROR')) throw err;
    return kernelOf(s).fail(
      HOLD_CHECK_OPERATION,
      null,
      [],
      'error',
      'INTEGRITY_ERROR',
      err.message,
      err.details,
    );
  }
}

/**
 * Runs a read of holds' text in gate session `s`: one `legal_hold.read` entry (no subject: a hold's existence is
 * not shown in the scope subject's access history, since a preservation request may be secret), or, when a cell
 * fails to open, a logged INTEGRITY_ERROR naming the row.
 */
export async function readLogged<T>(s: GateSession, what: string, read: () => Promise<T>): Promise<T> {
  const k = kernelOf(s);
  try {
    const out = await read();
    k.allowed(HOLD_READ_OPERATION, null, new Map(), what);
    return out;
  } catch (err) {
    if (!isSigiloError(err, 'INTEGRITY_ERROR')) throw err;
    return k.fail(HOLD_READ_OPERATION, null, [], 'error', 'INTEGRITY_ERROR', err.message, err.details);
  }
}

/** Opens one unit, turning a failure into INTEGRITY_ERROR naming its table and row. */
function unit<T>(table: string, rowId: string, open: () => T): T {
  try {
    return open();
  } catch (err) {
    if (isSigiloError(err, 'INTEGRITY_ERROR') || err instanceof SyntaxError) {
      throw new SigiloError('INTEGRITY_ERROR', `sealed text of ${table} ${rowId} does not verify`, {
        table,
        rowId,
      });
    }
    throw err;
  }
}
