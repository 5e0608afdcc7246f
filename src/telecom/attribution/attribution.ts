/**
 * Which account owns a record. Rules map platform facts to accounts: account codes, trunks (from channel names),
 * usernames, source IP ranges and DID prefixes (the provider's number blocks assigned to business customers).
 * A record no rule matches is reported, never dropped silently and never guessed. The patterns are personal data
 * of the account (its numbers, users, addresses): sealed, and reached only through the gate
 * (attribution-rule.service.ts, src/telecom/sealing/attribution-rules.gate.ts).
 */
import ipaddr from 'ipaddr.js';
import { SigiloError } from '../../errors.ts';

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

/** A rule as the API and the CLI show it (to a context the policy lets read the pattern). */
export interface AttributionRuleView {
  id: string;
  kind: RuleKind;
  pattern: string;
  accountId: string;
  createdAt: string;
}

/** A rule as an import sees it: the keyed hash of its kind and pattern, never the pattern. */
export interface IndexedRule {
  kind: RuleKind;
  /** Keyed hash of `ruleIndexText(kind, pattern)`. */
  index: Buffer;
  /** Characters of a DID prefix, bits of an IP range; null for the exact-match kinds. */
  matchLength: number | null;
  accountId: string;
}

/** The text whose keyed hash finds a rule: kind and normalised pattern, so one pattern of two kinds differs. */
export function ruleIndexText(kind: RuleKind, pattern: string): string {
  return `${kind}\u0000${pattern}`;
}

/** What a rule's pattern is indexed under, by kind: `match_length` for prefixes and ranges. */
export function matchLengthOf(kind: RuleKind, pattern: string): number | null {
  if (kind === 'did_prefix') return pattern.length;
  if (kind === 'ip_range') return Number(pattern.slice(pattern.indexOf('/') + 1));
  return null;
}

/** The stored form of a pattern for its kind (validated; an IP range becomes its network address). */
export function normalisePattern(kind: RuleKind, pattern: string): string {
  const p = pattern.trim();
  if (!p || p.length > 200)
    throw new SigiloError('VALIDATION_FAILED', 'pattern must be 1 to 200 characters', { path: 'pattern' });
  if (kind === 'ip_range') {
    try {
      const [addr, bits] = ipaddr.parseCIDR(p.includes('/') ? p : `${p}/${p.includes(':') ? 128 : 32}`);
      // The network address, so that the keyed hash of a candidate network finds the rule however it was typed.
      return `${networkOf(addr.toByteArray(), bits)}/${bits}`;
    } catch {
      throw new SigiloError('INVALID_IP', 'pattern is not an IP range (CIDR)', { path: 'pattern' });
    }
  }
  if (kind === 'did_prefix' && !/^\+\d{4,15}$/.test(p)) {
    throw new SigiloError('VALIDATION_FAILED', 'a DID prefix is + and 4 to 15 digits', { path: 'pattern' });
  }
  return kind === 'trunk' || kind === 'username' ? p.toLowerCase() : p;
}

/** The network address of `bytes` (4 or 16) under a prefix of `bits`, in ipaddr.js's canonical text. */
function networkOf(bytes: number[], bits: number): string {
  const masked = bytes.map((b, i) => {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    return b & ((0xff << (8 - keep)) & 0xff);
  });
  return ipaddr.fromByteArray(masked).toString();
}

// Distinct values remembered per import (trunks and account codes repeat on every record; numbers and IPs may
// not): bounded so that an import of millions of distinct numbers does not grow without limit.
const MEMO_MAX = 100_000;

/**
 * Resolves records to accounts with the rules loaded once per import, by keyed hash: each fact of a record
 * (account code, trunk, username, each prefix of a number of a length some rule uses, the network of the source
 * IP under each prefix length some rule uses) is hashed and looked up. Patterns are never in memory.
 */
export class Attributor {
  private readonly byIndex = new Map<string, { kind: RuleKind; accountId: string }>();
  private readonly kinds = new Set<RuleKind>();
  /** DID prefix lengths in use, longest first (longest prefix wins). */
  private readonly didLengths: number[];
  /** IP prefix lengths in use, longest first (the most specific range wins). */
  private readonly ipBits: number[];
  private readonly memo = new Map<string, string | null>();

  constructor(
    rules: readonly IndexedRule[],
    /** The keyed hash the rules were indexed with. */
    private readonly hash: (text: string) => Buffer,
  ) {
    const did = new Set<number>();
    const ip = new Set<number>();
    for (const r of rules) {
      this.byIndex.set(r.index.toString('hex'), { kind: r.kind, accountId: r.accountId });
      this.kinds.add(r.kind);
      if (r.kind === 'did_prefix' && r.matchLength) did.add(r.matchLength);
      if (r.kind === 'ip_range' && r.matchLength !== null) ip.add(r.matchLength);
    }
    this.didLengths = [...did].sort((a, b) => b - a);
    this.ipBits = [...ip].sort((a, b) => b - a);
  }

  /** Whether any rule looks at numbers (DID prefixes): callers may skip collecting them otherwise. */
  get usesNumbers(): boolean {
    return this.didLengths.length > 0;
  }

  private lookup(kind: RuleKind, pattern: string): string | null {
    const hit = this.byIndex.get(this.hash(ruleIndexText(kind, pattern)).toString('hex'));
    return hit && hit.kind === kind ? hit.accountId : null;
  }

  /** `find(value)`, remembered per kind and value for this import. */
  private remembered(kind: RuleKind, value: string, find: () => string | null): string | null {
    const key = `${kind}\u0000${value}`;
    const known = this.memo.get(key);
    if (known !== undefined) return known;
    const found = find();
    if (this.memo.size >= MEMO_MAX) this.memo.clear();
    this.memo.set(key, found);
    return found;
  }

  private exact(kind: RuleKind, value: string): string | null {
    return this.remembered(kind, value, () => this.lookup(kind, value));
  }

  private byIp(sourceIp: string): string | null {
    return this.remembered('ip_range', sourceIp, () => {
      let bytes: number[];
      try {
        bytes = ipaddr.process(sourceIp).toByteArray();
      } catch {
        return null; // not an IP: no range can match
      }
      for (const bits of this.ipBits) {
        if (bits > bytes.length * 8) continue;
        const a = this.lookup('ip_range', `${networkOf(bytes, bits)}/${bits}`);
        if (a) return a;
      }
      return null;
    });
  }

  /**
   * Longest DID prefix first. Remembered per prefix, not per number: the numbers of a provider's file are mostly
   * distinct (each caller once), but their prefixes of the lengths rules use are few, so a many-account import
   * hashes each prefix once instead of every prefix of every number (P8: the top of the profile).
   */
  private byNumber(n: string): string | null {
    for (const len of this.didLengths) {
      if (len > n.length) continue;
      const a = this.exact('did_prefix', n.slice(0, len));
      if (a) return a;
    }
    return null;
  }

  /** The owning account, or null with nothing guessed. */
  resolve(f: AttributionFacts): string | null {
    if (f.accountCode && this.kinds.has('accountcode')) {
      const a = this.exact('accountcode', f.accountCode);
      if (a) return a;
    }
    if (this.kinds.has('trunk')) {
      for (const ch of [f.channel, f.dstChannel]) {
        const t = trunkOf(ch);
        const a = t && this.exact('trunk', t);
        if (a) return a;
      }
    }
    if (f.username && this.kinds.has('username')) {
      const a = this.exact('username', f.username.toLowerCase());
      if (a) return a;
    }
    if (f.sourceIp && this.ipBits.length) {
      const a = this.byIp(f.sourceIp);
      if (a) return a;
    }
    for (const n of f.numbers ?? []) {
      const a = this.byNumber(n);
      if (a) return a;
    }
    return null;
  }
}
