/**
 * Free text held for DPO review by the sensitive-data guard: a plain status and the classes found, on each table
 * with a guarded field. The text itself stays sealed in its row; these columns say only that a review is pending
 * and why (class names, never values). Frozen in time: never import application code here.
 */
import type { Kysely } from 'kysely';

const TABLES = ['tickets', 'ticket_messages'] as const;

export async function up(db: Kysely<any>): Promise<void> {
  for (const table of TABLES) {
    await db.schema
      .alterTable(table)
      .addColumn('guard_status', 'text', (c) => c.notNull().defaultTo('clear'))
      .execute();
    await db.schema.alterTable(table).addColumn('guard_classes', 'text').execute();
    await db.schema.createIndex(`${table}_guard_idx`).on(table).column('guard_status').execute();
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of TABLES) {
    await db.schema.dropIndex(`${table}_guard_idx`).execute();
    await db.schema.alterTable(table).dropColumn('guard_classes').execute();
    await db.schema.alterTable(table).dropColumn('guard_status').execute();
  }
}
