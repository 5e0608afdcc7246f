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
import { bindingOf, openStaffText, sealStaffText } from '../../gate/staff-text.cipher.ts';
import type { Keyring } from '../../keys/keyring.ts';
import { sealedView, type Db, type Tx } from '../../store/store.ts';
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
type HoldPlain = Omit<LegalHoldRow, (typeof COLUMNS)[keyof typeof COLUMNS]>;
type EventPlain = Omit<LegalHoldEventRow, 'details_ct'>;

/** An event of a hold's history with its details opened. */
export interface OpenedHoldEvent extends EventPlain {
  details: Record<string, unknown>;
}

/** The access-log operation of a read of holds' text. */
export const HOLD_READ_OPERATION = 'legal_hold.read';

/** The key ring as the holds' text needs it. */
export type HoldTextKeys = Pick<Keyring, 'staffTextKey'>;

/** Seals and opens legal holds' free text; built by the retention module with the key ring. */
export class HoldTexts {
  constructor(private readonly keyring: HoldTextKeys) {}

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

  /** Appends one event to a hold's history, its details sealed. */
  async writeEvent(tx: Tx, event: EventPlain, details: Record<string, unknown>): Promise<void> {
    await sealedView(tx)
      .insertInto('legal_hold_events')
      .values({
        ...event,
        details_ct: sealStaffText(
          this.keyring,
          'legal_hold_events',
          event.id,
          'details_ct',
          JSON.stringify(details),
          bindingOf('legal_hold_events', event),
        ),
      })
      .execute();
  }

  /** A hold's history, oldest first, its details opened; INTEGRITY_ERROR naming the event row on tampering. */
  async readEvents(db: Db | Tx, holdId: string): Promise<OpenedHoldEvent[]> {
    const rows = await sealedView(db as Db)
      .selectFrom('legal_hold_events')
      .selectAll()
      .where('hold_id', '=', holdId)
      .orderBy('at')
      .orderBy('id')
      .execute();
    return rows.map(({ details_ct, ...plain }) => ({
      ...plain,
      details: unit(
        'legal_hold_events',
        plain.id,
        () =>
          JSON.parse(
            openStaffText(
              this.keyring,
              'legal_hold_events',
              plain.id,
              'details_ct',
              details_ct,
              bindingOf('legal_hold_events', plain),
            ),
          ) as Record<string, unknown>,
      ),
    }));
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
