/**
 * Account links (`account_people`: which person belongs to which account, and how) decide whose calls are a
 * person's own, which accounts a hold on a person keeps, who may ask for an account's data and what a subject's
 * answer lists. Each link carries a record MAC (record-macs.ts) over the account, the person, the relation and its
 * date: every link is written and read through here, so a link added, moved to another account or person, or
 * given another relation with SQL is an INTEGRITY_ERROR naming it (`<account>/<person>`), logged.
 */
import { isSigiloError } from '../errors.ts';
import type { GateSession } from './gate.ts';
import { kernelOf, type GateKernel } from './gate-kernel.ts';
import { RecordMacs, recordIdOf, recordMacSelection } from './record-macs.ts';

/** One link as the callers use it. */
export interface AccountLink {
  account_id: string;
  person_id: string;
  relation: 'owner' | 'contact' | 'user';
}

/** The access-log operation of a refusal because a link does not verify. */
export const ACCOUNT_LINK_CHECK = 'account_link.check';

/** Links a person to an account (or changes the relation), with its MAC. */
export async function writeAccountLink(
  s: GateSession,
  link: AccountLink & { created_at: string },
): Promise<void> {
  const k = kernelOf(s);
  const macs = new RecordMacs(k.keyring);
  const existing = await k.tx
    .selectFrom('account_people')
    .selectAll()
    .where('account_id', '=', link.account_id)
    .where('person_id', '=', link.person_id)
    .executeTakeFirst();
  if (existing) {
    await check(k, [existing]);
    const row = { ...existing, relation: link.relation };
    await k.tx
      .updateTable('account_people')
      .set({ relation: link.relation, row_mac: await macs.seal('account_people', row) })
      .where('account_id', '=', link.account_id)
      .where('person_id', '=', link.person_id)
      .execute();
    return;
  }
  await k.tx
    .insertInto('account_people')
    .values({ ...link, row_mac: await macs.seal('account_people', link) })
    .execute();
}

/** Which people and/or accounts to read the links of (both filters apply when both are given). */
export interface LinkFilter {
  people?: readonly string[];
  accounts?: readonly string[];
}

/** The links of these people and/or accounts, each checked. */
export function readAccountLinks(s: GateSession, where: LinkFilter): Promise<AccountLink[]> {
  return readAccountLinksIn(kernelOf(s), where);
}

/** `readAccountLinks` for a sealing extension holding the kernel. */
export async function readAccountLinksIn(k: GateKernel, where: LinkFilter): Promise<AccountLink[]> {
  if (where.people?.length === 0 || where.accounts?.length === 0) return [];
  let q = k.tx.selectFrom('account_people').select(recordMacSelection('account_people') as 'account_id'[]);
  if (where.people) q = q.where('person_id', 'in', [...where.people]);
  if (where.accounts) q = q.where('account_id', 'in', [...where.accounts]);
  const rows = (await q.execute()) as unknown as (AccountLink & Record<string, unknown>)[];
  await check(k, rows);
  return rows.map((r) => ({ account_id: r.account_id, person_id: r.person_id, relation: r.relation }));
}

async function check(k: GateKernel, rows: readonly Record<string, unknown>[]): Promise<void> {
  try {
    await new RecordMacs(k.keyring).check('account_people', rows);
  } catch (err) {
    if (!isSigiloError(err, 'INTEGRITY_ERROR')) throw err;
    const bad = rows.find((r) => recordIdOf('account_people', r) === err.details.rowId);
    k.fail(
      ACCOUNT_LINK_CHECK,
      typeof bad?.person_id === 'string' ? bad.person_id : null,
      [],
      'error',
      'INTEGRITY_ERROR',
      err.message,
      err.details,
    );
  }
}
