/**
 * Core retention targets for secrets (LGPD Arts. 15–16): portal passwords and MFA secrets (`authentication_secret`)
 * and provisioning secrets (`provisioning_secret`) are destroyed when the contract ends. A credential belongs to a
 * person; it goes once every account the person is linked to has contracts and all of them have ended — at the
 * end of the last contract's last day (or that plus a period, if the policy sets `after contract_end`).
 */
import type { GateSession } from '../../gate/gate.ts';
import type { RetentionRule } from '../../policy/policy.schema.ts';
import type { Tx } from '../../store/store.ts';
import type { CredentialTable } from '../../store/tables/credential.table.ts';
import type {
  DeleteResult,
  RetentionItem,
  RetentionTarget,
  ScanQuery,
  ScanResult,
} from '../retention-target.ts';
import { chunks, presentIn } from './target-queries.ts';

type CredentialView = 'portalPasswords' | 'mfaSecrets' | 'provisioningSecrets';
type CredentialKind = CredentialTable['kind'];

const VIEW_OF_KIND: Record<CredentialKind, CredentialView> = {
  portal_password: 'portalPasswords',
  mfa_secret: 'mfaSecrets',
  provisioning_secret: 'provisioningSecrets',
};

interface CredentialCandidate {
  id: string;
  person_id: string;
  subject_id: string;
  kind: string;
  created_at: string;
}

/** Credentials of the given kinds, governed by one secret category. */
export class CredentialTarget implements RetentionTarget {
  // Before contracts: in a sweep that finds both expired, the secrets still see the contract end they count from.
  readonly order = 40;

  constructor(
    readonly id: string,
    readonly category: string,
    readonly description: string,
    private readonly kinds: readonly CredentialKind[],
  ) {}

  supports(rule: RetentionRule): boolean {
    return rule.kind === 'until_contract_end' || (rule.kind === 'after' && rule.anchor === 'contract_end');
  }

  /**
   * Credentials of people none of whose accounts has a contract still in force, and who either have a contract
   * that ended or no account at all any more (a prospect with an account but no contract yet keeps them).
   */
  private async candidates(db: Tx, after: string | null, limit: number): Promise<CredentialCandidate[]> {
    let q = db
      .selectFrom('credentials as cr')
      .select(['cr.id', 'cr.person_id', 'cr.subject_id', 'cr.kind', 'cr.created_at'])
      .where('cr.kind', 'in', [...this.kinds])
      .where((eb) =>
        eb.or([
          eb.exists(
            eb
              .selectFrom('account_people as ap')
              .innerJoin('contracts as ct', 'ct.account_id', 'ap.account_id')
              .select('ct.id')
              .whereRef('ap.person_id', '=', 'cr.person_id'),
          ),
          // No account at all any more (it was deleted once nothing needed it): no service left to authenticate to.
          eb.not(
            eb.exists(
              eb
                .selectFrom('account_people as ap')
                .select('ap.person_id')
                .whereRef('ap.person_id', '=', 'cr.person_id'),
            ),
          ),
        ]),
      )
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('account_people as ap')
              .innerJoin('contracts as ct', 'ct.account_id', 'ap.account_id')
              .select('ct.id')
              .whereRef('ap.person_id', '=', 'cr.person_id')
              .where((e) => e.or([e('ct.status', '<>', 'terminated'), e('ct.ended_on', 'is', null)])),
          ),
        ),
      );
    if (after !== null) q = q.where('cr.id', '>', after);
    return q.orderBy('cr.id').limit(limit).execute();
  }

  /** Per person: linked accounts and the last day of their last contract. */
  private async contractEnds(
    db: Tx,
    people: readonly string[],
  ): Promise<Map<string, { accounts: string[]; lastDay: string }>> {
    const out = new Map<string, { accounts: string[]; lastDay: string }>();
    for (const ids of chunks([...new Set(people)])) {
      const rows = await db
        .selectFrom('account_people as ap')
        .innerJoin('contracts as ct', 'ct.account_id', 'ap.account_id')
        .select(['ap.person_id', 'ap.account_id', 'ct.ended_on'])
        .where('ap.person_id', 'in', ids)
        .execute();
      for (const r of rows) {
        const e = out.get(r.person_id) ?? { accounts: [], lastDay: '' };
        if (!e.accounts.includes(r.account_id)) e.accounts.push(r.account_id);
        if (r.ended_on && r.ended_on > e.lastDay) e.lastDay = r.ended_on;
        out.set(r.person_id, e);
      }
    }
    return out;
  }

  private expiry(q: Pick<ScanQuery, 'clock' | 'rule'>, lastDay: string): string {
    const end = q.clock.contractEnd(lastDay);
    return q.rule.kind === 'after' ? q.clock.expiresAt(q.rule, end) : end;
  }

  async scan(q: ScanQuery): Promise<ScanResult> {
    const rows = await this.candidates(q.db, q.after, q.limit);
    const ends = await this.contractEnds(
      q.db,
      rows.map((r) => r.person_id),
    );
    const now = q.clock.nowIso();
    const items: RetentionItem[] = [];
    for (const r of rows) {
      const e = ends.get(r.person_id);
      // Without a contract left, the account that needed the secret is gone: due now.
      const expiresAt = e?.lastDay ? this.expiry(q, e.lastDay) : now;
      if (expiresAt > now) continue;
      items.push({
        id: r.id,
        subjectId: r.subject_id,
        accounts: e?.accounts ?? [],
        people: [r.person_id],
        from: r.created_at,
        to: r.created_at,
        expiresAt,
      });
    }
    const last = rows.at(-1);
    return { items, next: last && rows.length >= q.limit ? last.id : null };
  }

  async nextExpiry(q: Omit<ScanQuery, 'after' | 'limit' | 'dryRun'>): Promise<string | null> {
    const now = q.clock.nowIso();
    let best: string | null = null;
    let after: string | null = null;
    for (;;) {
      const rows = await this.candidates(q.db, after, 500);
      const ends = await this.contractEnds(
        q.db,
        rows.map((r) => r.person_id),
      );
      for (const r of rows) {
        const e = ends.get(r.person_id);
        if (!e?.lastDay) continue;
        const at = this.expiry(q, e.lastDay);
        if (at > now && (best === null || at < best)) best = at;
      }
      const last = rows.at(-1);
      if (!last || rows.length < 500) return best;
      after = last.id;
    }
  }

  async delete(session: GateSession, items: readonly RetentionItem[]): Promise<DeleteResult> {
    let records = 0;
    const ids = items.map((i) => i.id);
    // Each gate view of `credentials` is fixed to one kind, so each id list goes through each view of this target.
    for (const view of new Set(this.kinds.map((k) => VIEW_OF_KIND[k]))) {
      for (const part of chunks(ids)) records += await session.deleteWhereIn(view, 'id', part);
    }
    return { records, subjects: [...new Set(items.flatMap((i) => i.people))] };
  }

  references(db: Tx, subjectIds: readonly string[]): Promise<Set<string>> {
    // A credential is sealed under its person's subject: the person column is the reference.
    return presentIn(db, 'credentials', ['person_id'], subjectIds, { column: 'kind', in: this.kinds });
  }
}

/** Portal passwords and MFA secrets. */
export function authenticationSecretTarget(): CredentialTarget {
  return new CredentialTarget(
    'core.authentication-secrets',
    'authentication_secret',
    'senhas do portal e segredos de autenticação em dois fatores',
    ['portal_password', 'mfa_secret'],
  );
}

/** SIP passwords, API keys and other provisioning secrets. */
export function provisioningSecretTarget(): CredentialTarget {
  return new CredentialTarget(
    'core.provisioning-secrets',
    'provisioning_secret',
    'segredos de provisionamento (senhas SIP, chaves de API)',
    ['provisioning_secret'],
  );
}
