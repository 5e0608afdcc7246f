import type { Insertable, Selectable } from 'kysely';

/** Signed record of every crypto-shred, re-applied after a restore so shredded subjects stay shredded. */
export interface ShredLedgerTable {
  subject_id: string;
  shredded_at: string;
  reason: string;
  signature: Buffer;
}
export type ShredLedgerRow = Selectable<ShredLedgerTable>;
export type NewShredLedgerRow = Insertable<ShredLedgerTable>;
