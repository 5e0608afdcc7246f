/**
 * Token issuance with a second person (issue 13 §3): a token of a role that reaches personal data is created
 * `pending` and works only once someone with the DPO role, not its requester, approves it. Existing tokens were
 * issued before the rule and stay `active`. `issued_via` says whether the server's CLI or the HTTP API made a
 * token; rows made over HTTP before this migration are recognised by their creator (`token:` or `oidc:` actors), so
 * a token an administrator minted alone for a role that now needs approval stops working.
 * Frozen in time: never import application code here.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('staff_tokens')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('active'))
    .execute();
  await db.schema.alterTable('staff_tokens').addColumn('decided_by', 'text').execute();
  await db.schema.alterTable('staff_tokens').addColumn('decided_at', 'text').execute();
  await db.schema
    .alterTable('staff_tokens')
    .addColumn('issued_via', 'text', (c) => c.notNull().defaultTo('server'))
    .execute();
  await db
    .updateTable('staff_tokens')
    .set({ issued_via: 'http' })
    .where((eb) => eb.or([eb('created_by', 'like', 'token:%'), eb('created_by', 'like', 'oidc:%')]))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const column of ['issued_via', 'decided_at', 'decided_by', 'status']) {
    await db.schema.alterTable('staff_tokens').dropColumn(column).execute();
  }
}
