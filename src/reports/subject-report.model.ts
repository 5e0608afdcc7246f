/**
 * The Portuguese report of a complete access request (LGPD Art. 19 II, "declaração clara e completa"): for every
 * category held about the subject, its purposes, legal basis, sources, when collected, the retention rule and
 * until when it is kept; the sharing that may be disclosed; and the subject's access history. Built from the
 * gated summary of the data (never the data itself) and the policy in force; rendered to HTML and PDF.
 */
import { DateTime } from 'luxon';
import type { Policy, RetentionRule } from '../policy/policy.schema.ts';
import { retentionPeriodPt, UNVERIFIED_SOURCE } from '../policy/policy.render.ts';

export const REPORT_ZONE = 'America/Sao_Paulo';

/** One category held about the subject, as the report states it. */
export interface ReportCategory {
  id: string;
  label: string;
  description: string;
  items: number;
  purposes: string[];
  legalBasis: string;
  sources: string[];
  firstCollectedAt: string | null;
  lastCollectedAt: string | null;
  retentionRule: string;
  retentionSource: string;
  keptUntil: string;
  /** When the subject had the category blocked (LGPD Art. 18 IV), or null. */
  blockedSince: string | null;
}

/** One support-call recording, as the report lists it (never the audio). */
export interface ReportRecording {
  recordedAt: string;
  sizeBytes: number | null;
  keptUntil: string | null;
}

/** One of the subject's requests and its answer in Portuguese. */
export interface ReportRequest {
  typeLabel: string;
  stateLabel: string;
  receivedAt: string;
  answeredAt: string | null;
  answer: string[];
}

export interface ReportAccess {
  at: string;
  actor: string;
  roleLabel: string;
  purposeLabel: string | null;
  categories: string[];
}

export interface SubjectReportModel {
  controller: { name: string; dpoEmail: string };
  policyVersion: number;
  generatedAt: string;
  request: { id: string; receivedAt: string; dueAt: string };
  subject: { id: string; kind: 'account' | 'person' };
  categories: ReportCategory[];
  sharing: string;
  accesses: { total: number; shown: ReportAccess[] };
  recordings: ReportRecording[];
  requests: ReportRequest[];
}

/** What retention needs to say "until when" for one category. */
export interface HoldingFacts {
  items: number;
  firstCollectedAt: string | null;
  lastCollectedAt: string | null;
  sources: string[];
  facts: {
    activeContracts: number;
    lastEndedOn: string | null;
    openTickets: number;
    lastResolvedAt: string | null;
  };
}

/** Retention arithmetic the report borrows from the retention module (its public clock). */
export interface RetentionDates {
  expiresAt(rule: RetentionRule, anchor: string): string;
  contractEnd(endedOn: string): string;
}

const SOURCE_PT: Record<string, string> = {
  contracting: 'contratação dos serviços',
  support_contact: 'contato com o suporte',
  network_platform: 'plataformas de telefonia (PBX, softswitch)',
  import: 'importação de sistemas anteriores',
  subject_portal: 'portal do titular',
  staff: 'registro pela equipe da operadora',
};

// Purposes that are the answering of rights themselves are not a purpose the data are held for.
const NOT_A_HOLDING_PURPOSE = new Set(['subject_request']);

const plural = new Intl.PluralRules('pt-BR');

/** '1 registro', '2 registros'. */
export function countPt(n: number, one: string, many: string): string {
  return `${n.toLocaleString('pt-BR')} ${plural.select(n) === 'one' ? one : many}`;
}

/** An instant as the subject reads it: '31/01/2026' in Brasília. */
export function datePt(instant: string): string {
  return DateTime.fromISO(instant, { zone: 'utc' }).setZone(REPORT_ZONE).toFormat('dd/MM/yyyy');
}

/** An instant with the time: '31/01/2026 14:05'. */
export function dateTimePt(instant: string): string {
  return DateTime.fromISO(instant, { zone: 'utc' }).setZone(REPORT_ZONE).toFormat('dd/MM/yyyy HH:mm');
}

/** The report's categories, in the policy's order, for those the subject has at least one item of. */
export function reportCategories(
  policy: Policy,
  holdings: ReadonlyMap<string, HoldingFacts>,
  dates: RetentionDates,
  blocked?: ReadonlyMap<string, string>,
): ReportCategory[] {
  const out: ReportCategory[] = [];
  const until = new Map<string, string | null>();
  for (const category of policy.categories) {
    const h = holdings.get(category.id);
    if (!h || h.items === 0) continue;
    const retention = policy.retention.find((r) => r.category === category.id);
    const purposes = [
      ...new Set(
        policy.grants
          .filter((g) => g.categories.includes(category.id) && !NOT_A_HOLDING_PURPOSE.has(g.purpose))
          .map((g) => g.purpose),
      ),
    ]
      .map((id) => policy.purposes.find((p) => p.id === id)?.label.pt ?? id)
      .sort((a, b) => a.localeCompare(b, 'pt-BR'));
    // Invoices run from the end of the contract too: the contract rows carry that date, not the invoices.
    const facts =
      retention?.rule.kind === 'after' && retention.rule.anchor === 'contract_end'
        ? (holdings.get('contract') ?? h)
        : h;
    const end = retention
      ? keptUntil(retention.rule, { ...h, facts: facts.facts }, dates)
      : { text: 'conforme a política', date: null };
    until.set(category.id, end.date);
    out.push({
      id: category.id,
      label: category.label.pt,
      description: category.description.pt,
      items: h.items,
      purposes,
      legalBasis: category.legalBasis,
      sources: h.sources.map((s) => SOURCE_PT[s] ?? s),
      firstCollectedAt: h.firstCollectedAt,
      lastCollectedAt: h.lastCollectedAt,
      retentionRule: retention ? retentionPeriodPt(retention.rule) : 'sem regra declarada',
      retentionSource: retention
        ? retention.verified
          ? retention.source
          : `${retention.source} (${UNVERIFIED_SOURCE})`
        : '',
      keptUntil: end.text,
      blockedSince: blocked?.get(category.id) ?? null,
    });
  }
  // Identity data are kept while another kept record needs them: until the latest of those dates.
  const others = [...until.values()].filter((d): d is string => d !== null).sort();
  const latest = others.at(-1);
  for (const c of out) {
    const rule = policy.retention.find((r) => r.category === c.id)?.rule;
    if (rule?.kind === 'while_referenced') {
      c.keptUntil = latest
        ? `enquanto outro registro conservado precisar deles; hoje, até ${datePt(latest)}`
        : 'enquanto outro registro conservado precisar deles';
    }
  }
  return out;
}

function keptUntil(
  rule: RetentionRule,
  h: HoldingFacts,
  dates: RetentionDates,
): { text: string; date: string | null } {
  switch (rule.kind) {
    case 'until_contract_end':
      return { text: 'até o término do contrato', date: null };
    case 'while_referenced':
      return { text: 'enquanto outro registro conservado precisar deles', date: null };
    case 'after': {
      if (rule.anchor === 'record_created') {
        if (!h.lastCollectedAt) return { text: retentionPeriodPt(rule), date: null };
        const d = dates.expiresAt(rule, h.lastCollectedAt);
        return {
          text:
            h.items > 1 ? `${retentionPeriodPt(rule)}; o mais recente, até ${datePt(d)}` : `até ${datePt(d)}`,
          date: d,
        };
      }
      if (rule.anchor === 'contract_end') {
        if (h.facts.activeContracts > 0 || !h.facts.lastEndedOn)
          return { text: `enquanto o contrato estiver vigente e ${retentionPeriodPt(rule)}`, date: null };
        const d = dates.expiresAt(rule, dates.contractEnd(h.facts.lastEndedOn));
        return { text: `até ${datePt(d)}`, date: d };
      }
      if (h.facts.openTickets > 0 || !h.facts.lastResolvedAt)
        return { text: `enquanto houver chamado aberto e ${retentionPeriodPt(rule)}`, date: null };
      const d = dates.expiresAt(rule, h.facts.lastResolvedAt);
      return { text: `até ${datePt(d)}`, date: d };
    }
  }
}
