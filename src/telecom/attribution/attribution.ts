/**
 * Which account owns a record. Rules map platform facts to accounts: account codes, trunks (from channel names),
 * usernames, source IP ranges and DID prefixes (the provider's number blocks assigned to business customers).
 * A record no rule matches is reported, never dropped silently and never guessed.
 */
import ipaddr from 'ipaddr.js';
import { v7 as uuidv7 } from 'uuid';
import { SigiloError } from '../../errors.ts';
import type { Db } from '../../store/store.ts';
import type { AttributionRuleRow } from '../../store/tables/telecom.table.ts';

export const RULE_KINDS = ['accountcode', 'trunk', 'username', 'ip_range', 'did_prefix'] as const;
export type RuleKind = (typeof RULE_KINDS)[number];

/** The facts of a record that attribution looks at. */
export interface AttributionFacts {
  accountCode?: string | null;
  channel?: string | null;
  dstChannel?: string | null;
  username?: string | null;
  sourceIp?: string | null;
  /** E.164 numbers of the record (caller and callee). */
  numbers?: string[];
}

/** Trunk name of a channel: 'SIP/trunk-acme-0000001a' → 'trunk-acme', 'PJSIP/vivo-00000a1b' → 'vivo'. */
export function trunkOf(channel: string | null | undefined): string | null {
  if (!channel) return null;
  const slash = channel.indexOf('/');
  const rest = slash >= 0 ? channel.slice(slash + 1) : channel;
  return rest.replace(/-[0-9a-f]{6,}(;\d+)?$/i, '').toLowerCase() || null;
}

// Who may list, add and remove rules; `/v1/attribution-rules` and `sigilo attribution` check the same set.
const RULE_ROLES: ReadonlySet<string> = new Set(['admin', 'provisioning']);

/** ROLE_NOT_ALLOWED unless `role` may manage attribution rules. */
export function assertMayManageAttributionRules(role: string | undefined): void {
  if (!role || !RULE_ROLES.has(role))
    throw new SigiloError('ROLE_NOT_ALLOWED', 'attribution rules are managed by admin or provisioning');
}

/** A rule as the API and the CLI show it. */
export interface AttributionRuleView {
  id: string;
  kind: RuleKind;
  pattern: string;
  accountId: string;
  createdAt: string;
}

/** The shown form of a stored rule. */
export function attributionRuleView(r: AttributionRuleRow): AttributionRuleView {
  return { id: r.id, kind: r.kind, pattern: r.pattern, accountId: r.account_id, createdAt: r.created_at };
}

/** SQL for attribution rules (configuration, not personal data). */
export class AttributionRuleRepository {
  async list(db: Db): Promise<AttributionRuleRow[]> {
    return db.selectFrom('attribution_rules').selectAll().orderBy('kind').orderBy('pattern').execute();
  }

  /** Adds a rule; validates the pattern for its kind. */
  async add(db: Db, kind: RuleKind, pattern: string, accountId: string, now: Date): Promise<string> {
    const p = normalisePattern(kind, pattern);
    const account = await db
      .selectFrom('accounts')
      .select('id')
      .where('id', '=', accountId)
      .executeTakeFirst();
    if (!account)
      throw new SigiloError('NOT_FOUND', 'account not found', { resource: 'account', path: 'accountId' });
    const id = uuidv7();
    try {
      await db
        .insertInto('attribution_rules')
        .values({ id, kind, pattern: p, account_id: accountId, created_at: now.toISOString() })
        .execute();
    } catch {
      throw new SigiloError('CONFLICT', 'an attribution rule with this kind and pattern exists', {
        path: 'pattern',
      });
    }
    return id;
  }

  async remove(db: Db, id: string): Promise<boolean> {
    const r = await db.deleteFrom('attribution_rules').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}

function normalisePattern(kind: RuleKind, pattern: string): string {
  const p = pattern.trim();
  if (!p || p.length > 200)
    throw new SigiloError('VALIDATION_FAILED', 'pattern must be 1 to 200 characters', { path: 'pattern' });
  if (kind === 'ip_range') {
    try {
      const [addr, bits] = ipaddr.parseCIDR(p.includes('/') ? p : `${p}/${p.includes(':') ? 128 : 32}`);
      return `${addr.toString()}/${bits}`;
    } catch {
      throw new SigiloError('INVALID_IP', 'pattern is not an IP range (CIDR)', { path: 'pattern' });
    }
  }
  if (kind === 'did_prefix' && !/^\+\d{4,15}$/.test(p)) {
    throw new SigiloError('VALIDATION_FAILED', 'a DID prefix is + and 4 to 15 digits', { path: 'pattern' });
  }
  return kind === 'trunk' || kind === 'username' ? p.toLowerCase() : p;
}

/** Resolves records to accounts with the rules loaded once per import. */
export class Attributor {
  // One map per kind, keyed by the pattern itself: no string built per record and lookup.
  private readonly exact = new Map<string, Map<string, string>>();
  private readonly ranges: { range: [ipaddr.IPv4 | ipaddr.IPv6, number]; accountId: string }[] = [];
  private readonly dids: { prefix: string; accountId: string }[] = [];

  constructor(rules: AttributionRuleRow[]) {
    for (const r of rules) {
      if (r.kind === 'ip_range')
        this.ranges.push({ range: ipaddr.parseCIDR(r.pattern), accountId: r.account_id });
      else if (r.kind === 'did_prefix') this.dids.push({ prefix: r.pattern, accountId: r.account_id });
      else {
        let byPattern = this.exact.get(r.kind);
        if (!byPattern) this.exact.set(r.kind, (byPattern = new Map<string, string>()));
        byPattern.set(r.pattern, r.account_id);
      }
    }
    this.dids.sort((a, b) => b.prefix.length - a.prefix.length); // longest prefix wins
  }

  private get accountCodes(): Map<string, string> | undefined {
    return this.exact.get('accountcode');
  }

  private get trunks(): Map<string, string> | undefined {
    return this.exact.get('trunk');
  }

  private get usernames(): Map<string, string> | undefined {
    return this.exact.get('username');
  }

  /** Whether any rule looks at numbers (DID prefixes): callers may skip collecting them otherwise. */
  get usesNumbers(): boolean {
    return this.dids.length > 0;
  }

  /** The owning account, or null with nothing guessed. */
  resolve(f: AttributionFacts): string | null {
    if (f.accountCode) {
      const a = this.accountCodes?.get(f.accountCode);
      if (a) return a;
    }
    if (this.trunks) {
      for (const ch of [f.channel, f.dstChannel]) {
        const t = trunkOf(ch);
        const a = t && this.trunks.get(t);
        if (a) return a;
      }
    }
    if (f.username && this.usernames) {
      const a = this.usernames.get(f.username.toLowerCase());
      if (a) return a;
    }
    if (f.sourceIp && this.ranges.length) {
      try {
        const ip = ipaddr.process(f.sourceIp);
        for (const r of this.ranges)
          if (ip.kind() === r.range[0].kind() && ip.match(r.range)) return r.accountId;
      } catch {
        // not an IP: no range can match
      }
    }
    for (const n of f.numbers ?? []) {
      for (const d of this.dids) if (n.startsWith(d.prefix)) return d.accountId;
    }
    return null;
  }
}
