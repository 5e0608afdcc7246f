/**
 * Anonymisation and blocking of unnecessary or excessive data (LGPD Art. 18 IV), decided per category from the
 * policy. A category is **necessary** while a purpose of the contract still applies to the subject: an active
 * contract and a purpose based on the contract (LGPD Art. 7º, V) that the policy grants on the category, or an
 * open support ticket for the support tickets. Otherwise it is **unnecessary**: either the law still keeps it
 * (Art. 16, the retention rule with its source and end date, decided as for a deletion), or nothing does.
 * Anonymisation erases what nothing keeps; blocking keeps every unnecessary category but withdraws it from every
 * purpose the policy does not mark `continuesWhenBlocked`. Necessary data are neither: the answer says which
 * purposes need them. A legal hold keeps a category with the same wording as any retention rule.
 */
import type { Policy } from '../policy/policy.schema.ts';
import type { HoldingFacts, RetentionDates } from '../reports/subject-report.model.ts';
import { decideDeletion } from './subject-deletion.ts';

export type RestrictionOutcome =
  /** A purpose of the contract needs it: neither anonymised nor blocked. */
  | 'necessary'
  /** The law keeps it (rule, source, until): not anonymised. */
  | 'kept'
  /** Erased now (deleted, or the subject crypto-shredded). */
  | 'anonymised'
  /** Past its retention: the next retention sweep deletes it. */
  | 'expired'
  /** Kept, and refused to every purpose but legal obligations, the defence of rights and the subject's requests. */
  | 'blocked';

export interface RestrictionAnswer {
  category: string;
  outcome: RestrictionOutcome;
  /** The purposes that need a necessary category. */
  purposes: string[];
  rule: string | null;
  source: string | null;
  until: string | null;
  /** What the answer says about the category, in Portuguese. */
  statement: string;
}

/** Purposes based on the execution of the contract (LGPD Art. 7º, V). */
function contractPurposes(policy: Policy): string[] {
  return policy.purposes.filter((p) => /Art\. 7º, V\b/.test(p.legalBasis)).map((p) => p.id);
}

/** Per category held: necessary (and for which purposes), kept by the law, or unnecessary. */
export function decideNecessity(
  policy: Policy,
  holdings: ReadonlyMap<string, HoldingFacts>,
  dates: RetentionDates,
  now: string,
  context: { activeContract: boolean; held: ReadonlySet<string> },
): Omit<RestrictionAnswer, 'statement'>[] {
  const contract = contractPurposes(policy);
  const legal = new Map(
    decideDeletion(policy, holdings, dates, now, context).map((d) => [d.category, d] as const),
  );
  const out: Omit<RestrictionAnswer, 'statement'>[] = [];
  for (const [category, h] of holdings) {
    if (h.items === 0) continue;
    const purposes = [
      ...new Set(
        policy.grants
          .filter((g) => g.categories.includes(category) && contract.includes(g.purpose))
          .map((g) => g.purpose),
      ),
    ];
    const needed =
      (context.activeContract && purposes.length > 0) ||
      (category === 'support_ticket' && h.facts.openTickets > 0);
    if (needed) {
      out.push({ category, outcome: 'necessary', purposes, rule: null, source: null, until: null });
      continue;
    }
    const d = legal.get(category);
    out.push(
      d?.outcome === 'kept'
        ? { category, outcome: 'kept', purposes: [], rule: d.rule, source: d.source, until: d.until }
        : {
            category,
            outcome: d?.outcome === 'expired' ? 'expired' : 'anonymised',
            purposes: [],
            rule: null,
            source: null,
            until: null,
          },
    );
  }
  return out;
}

const DATE = new Intl.DateTimeFormat('pt-BR', { timeZone: 'America/Sao_Paulo', dateStyle: 'long' });

/** The Portuguese sentence for one category of an anonymisation or blocking answer. */
export function restrictionStatement(policy: Policy, a: Omit<RestrictionAnswer, 'statement'>): string {
  const label = policy.categories.find((c) => c.id === a.category)?.label.pt ?? a.category;
  const purposeLabels = a.purposes
    .map((p) => policy.purposes.find((x) => x.id === p)?.label.pt.toLowerCase() ?? p)
    .join(', ');
  const until = a.until ? `até ${DATE.format(new Date(a.until))}` : 'enquanto durar o contrato ou o chamado';
  switch (a.outcome) {
    case 'necessary':
      return `${label}: necessários para o contrato em vigor (${purposeLabels}); não são desnecessários nem excessivos, por isso não foram anonimizados nem bloqueados.`;
    case 'kept':
      return `${label}: conservados por obrigação legal (${a.source ?? 'LGPD, art. 16'}) ${until}; depois serão eliminados.`;
    case 'anonymised':
      return `${label}: eliminados, por não serem necessários a nenhuma finalidade.`;
    case 'expired':
      return `${label}: prazo de conservação encerrado; serão eliminados na próxima rotina de eliminação.`;
    case 'blocked':
      return `${label}: bloqueados a seu pedido. Permanecem guardados${a.rule ? ` (${a.source ?? 'LGPD, art. 16'}, ${until})` : ''} e só podem ser usados para cumprir obrigação legal ou regulatória, para o exercício regular de direitos e para atender aos seus próprios pedidos.`;
  }
}

/** Why a block is lifted: the subject asked for it, or what made the data unnecessary no longer holds. */
export const LIFT_REASONS = ['subject_asked', 'reason_ended'] as const;
export type LiftReason = (typeof LIFT_REASONS)[number];

/** One category of a lifted block, as the answer states it. */
export interface LiftAnswer {
  category: string;
  blockedAt: string;
  liftedAt: string;
  /** What the answer says about the category, in Portuguese. */
  statement: string;
}

/** The Portuguese sentence for one category whose block was lifted. */
export function liftStatement(policy: Policy, category: string, reason: LiftReason, at: string): string {
  const label = policy.categories.find((c) => c.id === category)?.label.pt ?? category;
  const why = reason === 'subject_asked' ? 'a seu pedido' : 'porque o motivo do bloqueio deixou de existir';
  return `${label}: bloqueio encerrado em ${DATE.format(new Date(at))}, ${why}. Os dados voltam a ser tratados para as finalidades previstas na política de privacidade, até o fim do prazo de conservação.`;
}
