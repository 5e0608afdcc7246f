/**
 * Account links (`account_people`: which person belongs to which account, and how) decide whose calls are a
 * person's own, which accounts a hold on a person keeps, who may ask for an account's data and what a subject's
 * answer lists. Each link carries a record MAC (record-macs.ts) over the account, the person, the relation and its
 * date: every link is written and read through here, so a link added, moved to another account or person, or
 * given another relation with SQL is an INTEGRITY_ERROR naming it (`<account>/<person>`), logged. Each person's
 * and each account's set of links has a head (record-macs.ts `linksHead`, written when the subject is created and
 * on every change), so a link deleted outright — the one that made a hold on a person keep an account's calls —
 * is an INTEGRITY_ERROR naming the head, not "not linked".
 */
import { isSigiloError } from '../errors.ts';
import type { GateSession } from './gate.ts';
import { kernelOf, type GateKernel } from './gate-kernel.ts';
import { RecordMacs, linksHead, recordIdOf, recordMacSelection } from './record-macs.ts';

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
  await macs.lockHead(k.tx, k.dialect, linksHead('person', link.person_id));
  await macs.lockHead(k.tx, k.dialect, linksHead('account', link.account_id));
  // Both sets as they stand must verify before their heads are rewritten over them (else a change would bless a
  // link deleted or planted with SQL).
  await readAccountLinksIn(k, { accounts: [link.account_id] });
  const existing = (await readAccountLinksIn(k, { people: [link.person_id] }, true)).find(
    (l) => l.account_id === link.account_id,
  );
  if (existing) {
    const row = { ...existing, relation: link.relation };
    await k.tx
      .updateTable('account_people')
      .set({ relation: link.relation, row_mac: await macs.seal('account_people', row) })
      .where('account_id', '=', link.account_id)
      .where('person_id', '=', link.person_id)
      .execute();
  } else {
    await k.tx
      .insertInto('account_people')
      .values({ ...link, row_mac: await macs.seal('account_people', link) })
      .execute();
  }
  const at = k.now().toISOString();
  await macs.writeLinkHead(k.tx, 'person', link.person_id, at);
  await macs.writeLinkHead(k.tx, 'account', link.account_id, at);
}

/** Writes the empty link set of a new person or account (in the transaction that creates its subject). */
export async function createLinkSet(k: GateKernel, side: 'person' | 'account', id: string): Promise<void> {
  await new RecordMacs(k.keyring).writeHead(k.tx, linksHead(side, id), [], k.now().toISOString());
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
export async function readAccountLinksIn(
  k: GateKernel,
  where: LinkFilter,
  withCreatedAt = false,
): Promise<(AccountLink & { created_at?: string })[]> {
  if (where.people?.length === 0 || where.accounts?.length === 0) return [];
  // Every link of the people named (or else of the accounts named) is read, so that its set can be checked
  // whole against its head; the other filter applies after.
  const side = where.people ? 'person' : 'account';
  const ids = [...(where.people ?? where.accounts ?? [])];
  const rows = (await k.tx
    .selectFrom('account_people')
    .select(recordMacSelection('account_people') as 'account_id'[])
    .where(side === 'person' ? 'person_id' : 'account_id', 'in', ids)
    .execute()) as unknown as (AccountLink & Record<string, unknown>)[];
  await check(k, rows);
  await checkSets(k, side, ids, rows);
  const accounts = where.people && where.accounts ? new Set(where.accounts) : null;
  return rows
    .filter((r) => !accounts || accounts.has(r.account_id))
    .map((r) => ({
      account_id: r.account_id,
      person_id: r.person_id,
      relation: r.relation,
      ...(withCreatedAt ? { created_at: String(r.created_at) } : {}),
    }));
}

async function checkSets(
  k: GateKernel,
  side: 'person' | 'account',
  ids: readonly string[],
  rows: readonly Record<string, unknown>[],
): Promise<void> {
  try {
    await new RecordMacs(k.keyring).checkLinkHeads(k.tx, side, ids, rows);
  } catch (err) {
    if (!isSigiloError(err, 'INTEGRITY_ERROR')) throw err;
    const rowId = err.details.rowId;
    const name = typeof rowId === 'string' ? rowId : '';
    const id = name.slice(name.lastIndexOf(':') + 1);
    k.fail(
      ACCOUNT_LINK_CHECK,
      side === 'person' ? id : null,
      [],
      'error',
      'INTEGRITY_ERROR',
      err.message,
      err.details,
    );
  }
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

/**
 * Deletes every link of these accounts and people (identity retention) and rewrites the heads of every set it
 * touched: theirs (now empty: the shredded subject row stays, so its head says "no links", not "missing") and those
 * of the other side. Returns the links deleted and the people that were linked to the accounts.
 */
export async function forgetAccountLinks(
  s: GateSession,
  accounts: readonly string[],
  people: readonly string[],
): Promise<{ deleted: number; people: string[] }> {
  const k = kernelOf(s);
  const macs = new RecordMacs(k.keyring);
  const touched = { person: new Set<string>(), account: new Set<string>() };
  const sides = [
    ['account', accounts],
    ['person', people],
  ] as const;
  for (const [side, ids] of sides) {
    const column = side === 'person' ? 'person_id' : 'account_id';
    for (let i = 0; i < ids.length; i += 500) {
      for (const l of await k.tx
        .selectFrom('account_people')
        .select(['account_id', 'person_id'])
        .where(column, 'in', ids.slice(i, i + 500))
        .execute()) {
        touched.person.add(l.person_id);
        touched.account.add(l.account_id);
      }
    }
  }
  // The sets that stay must verify, before anything is deleted, or rewriting their heads would bless a link of a
  // surviving person or account deleted with SQL.
  const gone = { person: new Set(people), account: new Set(accounts) };
  const survivors = {
    person: [...touched.person].filter((p) => !gone.person.has(p)),
    account: [...touched.account].filter((a) => !gone.account.has(a)),
  };
  if (survivors.person.length > 0) await readAccountLinksIn(k, { people: survivors.person });
  if (survivors.account.length > 0) await readAccountLinksIn(k, { accounts: survivors.account });
  let deleted = 0;
  for (const [side, ids] of sides) {
    const column = side === 'person' ? 'person_id' : 'account_id';
    for (let i = 0; i < ids.length; i += 500) {
      deleted += Number(
        (
          await k.tx
            .deleteFrom('account_people')
            .where(column, 'in', ids.slice(i, i + 500))
            .executeTakeFirst()
        ).numDeletedRows,
      );
    }
  }
  const linkedPeople = [...touched.person];
  for (const a of accounts) touched.account.add(a);
  for (const p of people) touched.person.add(p);
  const at = k.now().toISOString();
  for (const p of touched.person) await macs.writeLinkHead(k.tx, 'person', p, at);
  for (const a of touched.account) await macs.writeLinkHead(k.tx, 'account', a, at);
  return { deleted, people: linkedPeople };
}
