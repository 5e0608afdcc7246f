/**
 * The core sealed tables get `row_mac` (issue 13 §5): a keyed MAC over the plain columns that say whose data a row
 * is, when it goes and under which policy version it was collected (src/gate/sealed-tables.ts, ROW_MACS). A
 * migration holds no key, so the column starts NULL; the first start after it creates the row-MAC key and MACs
 * every row in the same transaction (src/gate/row-mac-backfill.ts). From then on a NULL MAC is an integrity
 * error, not a "legacy" row. Frozen in time: never import application code.
 */
import type { Kysely } from 'kysely';
import { bytesType } from './portable.ts';

const TABLES = [
  'accounts',
  'people',
  'contact_points',
  'addresses',
  'contracts',
  'contract_events',
  'invoices',
  'tickets',
  'ticket_messages',
  'credentials',
  'attribution_rules',
  'authority_requests',
  'security_incidents',
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const t of TABLES) await db.schema.alterTable(t).addColumn('row_mac', bytesType(db)).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of TABLES) await db.schema.alterTable(t).dropColumn('row_mac').execute();
}
