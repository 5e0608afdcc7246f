import type { ColumnType, Insertable, Selectable } from 'kysely';
import type { ProvenanceColumns } from './provenance.ts';

/** `quarantined` while the guard holds the row's free text for DPO review (the text stays sealed). */
export type GuardStatus = ColumnType<'clear' | 'quarantined', 'clear' | 'quarantined' | undefined>;

/** A support ticket; `resolved_at` stays plain because retention counts from it. */
export interface TicketTable extends ProvenanceColumns {
  id: string;
  account_id: string;
  person_id: string | null;
  subject_id: string;
  channel: 'phone' | 'email' | 'portal' | 'chat';
  status: 'open' | 'resolved';
  opened_at: string;
  resolved_at: string | null;
  title_ct: Buffer;
  guard_status: GuardStatus;
  /** Comma-separated guard classes found when quarantined (names, never values). */
  guard_classes: string | null;
  created_at: string;
  updated_at: string;
  /** Keyed MAC of the row's bound columns (src/gate/row-mac.ts); NULL only before the start that backfills it. */
  row_mac: Buffer | null;
}
export type TicketRow = Selectable<TicketTable>;
export type NewTicketRow = Insertable<TicketTable>;

/** A message in a ticket, sealed. */
export interface TicketMessageTable extends ProvenanceColumns {
  id: string;
  ticket_id: string;
  subject_id: string;
  author: 'customer' | 'agent';
  sent_at: string;
  body_ct: Buffer;
  guard_status: GuardStatus;
  guard_classes: string | null;
  created_at: string;
  /** Keyed MAC of the row's bound columns (src/gate/row-mac.ts); NULL only before the start that backfills it. */
  row_mac: Buffer | null;
}
export type TicketMessageRow = Selectable<TicketMessageTable>;
