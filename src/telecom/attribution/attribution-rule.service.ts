/**
 * Attribution rules as staff manage them (`/v1/attribution-rules`, `sigilo attribution`) and as imports use them:
 * every call runs in a gate session, so the policy's grants on `network_identifier` decide who may list, add or
 * remove rules, and the access log records each access.
 */
import { SigiloError } from '../../errors.ts';
import type { GateSession } from '../../gate/gate.ts';
import { attributionIndex, insertAttributionRule } from '../sealing/attribution-rules.gate.ts';
import { Attributor, normalisePattern, type AttributionRuleView, type RuleKind } from './attribution.ts';

export class AttributionRuleService {
  /** Every rule, by kind and pattern, with the pattern as the policy lets this context see it. */
  async list(s: GateSession): Promise<AttributionRuleView[]> {
    const rows = await s.find('attributionRules', { orderBy: 'kind' });
    return rows
      .map((r) => ({
        id: r.id,
        kind: r.plain.kind as RuleKind,
        pattern: String(r.fields.pattern),
        accountId: r.plain.account_id as string,
        createdAt: r.plain.created_at as string,
      }))
      .sort((a, b) => (a.kind === b.kind ? cmp(a.pattern, b.pattern) : cmp(a.kind, b.kind)));
  }

  /** Validates, seals and stores a rule; returns it as listed. */
  async add(
    s: GateSession,
    kind: RuleKind,
    pattern: string,
    accountId: string,
  ): Promise<AttributionRuleView> {
    const p = normalisePattern(kind, pattern);
    const id = await insertAttributionRule(s, { kind, pattern: p, accountId });
    const [row] = await s.find('attributionRules', { where: { id } });
    return {
      id,
      kind,
      pattern: row ? String(row.fields.pattern) : p,
      accountId,
      createdAt: (row?.plain.created_at as string | undefined) ?? '',
    };
  }

  /** Removes a rule; NOT_FOUND when there is none with this id. */
  async remove(s: GateSession, id: string): Promise<void> {
    if ((await s.delete('attributionRules', { id })) === 0)
      throw new SigiloError('NOT_FOUND', 'attribution rule not found', { resource: 'attribution_rule' });
  }

  /** The rules of one import, loaded once through the gate (by keyed hash; no pattern is opened). */
  async attributor(s: GateSession): Promise<Attributor> {
    const { rules, hash } = await attributionIndex(s);
    return new Attributor(rules, hash);
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
