/**
 * Renders the published Portuguese privacy policy from the policy document. The text is built once as a small
 * block model and serialised to Markdown or HTML, so both formats always say the same thing.
 */
import { Duration } from 'luxon';
import { effectiveGrants } from './policy.evaluate.ts';
import type { DetectorAction, Policy, RetentionRule } from './policy.schema.ts';

// Kept here too so callers of the renderer (publishing) find the diff next to it.
export { diffPolicies, isLoosening, type PolicyChange } from './policy.diff.ts';

type Inline = string | { strong: string };
type Block =
  | { kind: 'heading'; level: 1 | 2 | 3; text: string }
  | { kind: 'paragraph'; content: Inline[] }
  | { kind: 'list'; items: Inline[][] }
  | { kind: 'table'; head: string[]; rows: string[][] };

/** One earlier (or the current) version, for the revision history in §4. */
export interface PolicyVersionSummary {
  version: number;
  effectiveDate: string;
  summary: { pt: string };
}

export interface RenderOptions {
  /** Published versions; the policy being rendered is added when missing. */
  history?: readonly PolicyVersionSummary[];
}

/** The LGPD Art. 11 kinds, worded exactly as the published seed text. */
export const SENSITIVE_DATA_SENTENCE =
  'Não coletamos "dados sensíveis" como origem racial ou étnica, convicção religiosa, opinião política, filiação a ' +
  'sindicato ou a organização de caráter religioso, filosófico ou político, dado referente à saúde ou à vida ' +
  'sexual, dado genético ou biométrico (LGPD, Art. 11).';

export const UNVERIFIED_SOURCE = 'fonte a confirmar pelo jurídico da operadora';

export const APPLIES_TO_EXISTING_SENTENCE =
  'Esta finalidade aplica-se também aos dados coletados antes de sua inclusão nesta política (LGPD, Art. 9º, § 2º).';

const COUNTRY_PT = new Intl.DisplayNames(['pt-BR'], { type: 'region' });

/** A country code in Portuguese ('BR' → 'Brasil'); an unknown code stays as written. */
export function countryPt(code: string): string {
  return COUNTRY_PT.of(code) ?? code;
}

/** The operators that process data on the controller's behalf (LGPD Art. 37, 39), when the policy declares any. */
function operatorBlocks(policy: Policy, categoryPt: (id: string) => string): Block[] {
  if (policy.operators.length === 0) return [];
  const purposePt = new Map(policy.purposes.map((p) => [p.id, p.label.pt]));
  return [
    {
      kind: 'paragraph',
      content: [
        'Para prestar os serviços, contamos com operadores que tratam dados pessoais em nosso nome, somente sob ' +
          'nossas instruções e para as finalidades abaixo (LGPD, Art. 39):',
      ],
    },
    {
      kind: 'table',
      head: ['Operador', 'Serviço', 'Dados', 'Finalidades', 'País'],
      rows: policy.operators.map((o) => [
        o.name,
        o.service.pt,
        o.categories.map(categoryPt).join('; '),
        o.purposes.map((id) => purposePt.get(id) ?? id).join('; '),
        o.country === 'BR' || !o.transferSafeguard
          ? countryPt(o.country)
          : `${countryPt(o.country)} (transferência internacional: ${o.transferSafeguard.pt})`,
      ]),
    },
  ];
}

const ANCHOR_PT = {
  record_created: 'a partir da data de cada registro',
  contract_end: 'após o término do contrato',
  ticket_resolved: 'após a resolução do chamado',
} as const;

const DETECTOR_PT: Record<DetectorAction, string> = {
  reject: 'recusado',
  redact: 'registrado com o trecho removido',
  quarantine: 'retido para revisão do encarregado',
};

/** A date 'YYYY-MM-DD' as '26 de novembro de 2026'. */
function datePt(isoDate: string): string {
  return new Intl.DateTimeFormat('pt-BR', { dateStyle: 'long', timeZone: 'UTC' }).format(
    new Date(`${isoDate}T00:00:00Z`),
  );
}

/** A retention rule in Portuguese words, e.g. '5 anos após o término do contrato'. */
export function retentionPeriodPt(rule: RetentionRule): string {
  switch (rule.kind) {
    case 'after': {
      const period = Duration.fromISO(rule.period, { locale: 'pt-BR' }).toHuman({ listStyle: 'long' });
      return `${period} ${ANCHOR_PT[rule.anchor]}`;
    }
    case 'until_contract_end':
      return 'somente até o término do contrato; depois, destruição definitiva';
    case 'while_referenced':
      return 'enquanto necessários a outro registro conservado; depois, eliminação ou anonimização';
  }
}

const capitalise = (s: string): string => s.charAt(0).toLocaleUpperCase('pt-BR') + s.slice(1);

function joinPt(items: readonly string[]): string {
  return new Intl.ListFormat('pt-BR', { style: 'long', type: 'disjunction' }).format(items);
}

function buildDocument(policy: Policy, options: RenderOptions): Block[] {
  const { controller } = policy;
  const labelOf = new Map(policy.categories.map((c) => [c.id, c.label.pt]));
  const personal = policy.categories.filter((c) => c.personal);
  const other = policy.categories.filter((c) => !c.personal);
  const grants = effectiveGrants(policy);

  const blocks: Block[] = [
    { kind: 'heading', level: 1, text: 'Política de Privacidade' },
    {
      kind: 'paragraph',
      content: [
        { strong: 'Controlador:' },
        ` ${controller.name}. `,
        { strong: 'Versão:' },
        ` ${policy.version}, vigente a partir de ${datePt(policy.effectiveDate)}.`,
      ],
    },
    {
      kind: 'paragraph',
      content: [
        `A ${controller.name}, com o compromisso com a transparência, a privacidade e a segurança dos dados dos ` +
          'clientes, torna público o seu compromisso em zelar pelo tratamento adequado de dados pessoais para fins ' +
          'legítimos na prestação de seus serviços e oferta de produtos.',
      ],
    },
    {
      kind: 'paragraph',
      content: [
        'Para exercer seus direitos de titular (LGPD, Arts. 18 e 19) ou esclarecer dúvidas sobre esta política, ' +
          `fale com o nosso encarregado pelo tratamento de dados pessoais: ${controller.dpoEmail}.`,
      ],
    },

    { kind: 'heading', level: 2, text: '1. Quais dados coletamos' },
    {
      kind: 'paragraph',
      content: [
        'Coletamos os dados pessoais necessários para a prestação das atividades inerentes aos nossos serviços:',
      ],
    },
    { kind: 'list', items: personal.map((c) => [{ strong: `${c.label.pt}:` }, ` ${c.description.pt}`]) },
  ];
  if (other.length > 0) {
    blocks.push(
      {
        kind: 'paragraph',
        content: ['Tratamos também as seguintes informações, que não são dados pessoais:'],
      },
      { kind: 'list', items: other.map((c) => [{ strong: `${c.label.pt}:` }, ` ${c.description.pt}`]) },
    );
  }
  blocks.push(
    {
      kind: 'paragraph',
      content: [
        'A coleta desses dados é feita quando a empresa faz a contratação do serviço e quando entra em contato ' +
          'para solicitar suporte. Registros técnicos, como os de acesso, de conexão e de chamadas, são gerados ' +
          'durante a prestação dos serviços contratados.',
      ],
    },
    { kind: 'paragraph', content: [SENSITIVE_DATA_SENTENCE] },
  );
  const actions = [
    ...new Set([
      ...Object.values(policy.detectors.fields),
      ...Object.values(policy.detectors.classes).flatMap((byClass) => Object.values(byClass)),
    ]),
  ];
  if (actions.length > 0) {
    blocks.push({
      kind: 'paragraph',
      content: [
        'Os campos de texto livre, como mensagens de chamados e anotações, são verificados automaticamente: ' +
          `um texto que contenha dado sensível ou documento pessoal é ${joinPt(actions.map((a) => DETECTOR_PT[a]))}, ` +
          'conforme o campo.',
      ],
    });
  }

  blocks.push(
    { kind: 'heading', level: 2, text: '2. Por que coletamos os dados' },
    {
      kind: 'paragraph',
      content: [
        'Conforme a Lei Geral de Proteção de Dados Pessoais (LGPD, Lei 13.709/2018), usamos os dados somente para ' +
          'fins legítimos e específicos:',
      ],
    },
    {
      kind: 'list',
      items: policy.purposes.map((p) => {
        const granted = new Set(grants.filter((g) => g.purpose === p.id).map((g) => g.category));
        const used = policy.categories.map((c) => c.id).filter((id) => granted.has(id));
        const usedText =
          used.length > 0 ? ` Dados utilizados: ${used.map((id) => labelOf.get(id)).join('; ')}.` : '';
        // LGPD Art. 9 §2: the subjects are told when a new purpose reaches data collected before it.
        const existing = p.appliesToExisting ? ` ${APPLIES_TO_EXISTING_SENTENCE}` : '';
        return [
          { strong: `${p.label.pt}:` },
          ` ${p.description.pt} Base legal: ${p.legalBasis}.${usedText}${existing}`,
        ];
      }),
    },
    {
      kind: 'paragraph',
      content: [
        `A ${controller.name} somente compartilhará seus dados caso seja requisitado por ordem fundamentada de ` +
          'autoridades competentes, após validação jurídica e dentro dos limites da ordem.',
      ],
    },
    ...operatorBlocks(policy, (id) => labelOf.get(id) ?? id),

    { kind: 'heading', level: 2, text: '3. Armazenamento de dados' },
    {
      kind: 'paragraph',
      content: [
        'As informações são armazenadas em servidores que utilizam recursos de criptografia, garantindo que os ' +
          'dados permaneçam seguros tanto em repouso quanto em trânsito. Utilizamos métodos de criptografia padrão ' +
          'da indústria (AES-256-GCM para os dados armazenados e TLS 1.2 ou superior nas comunicações) para ' +
          'proteger os dados, garantindo assim a confidencialidade e a integridade das informações. Cada acesso a ' +
          'dados pessoais é registrado, com quem acessou, quando e para qual finalidade.',
      ],
    },
    {
      kind: 'paragraph',
      content: [
        'Os dados pessoais são armazenados somente durante o período do contrato e conservados depois dele apenas ' +
          'para finalidades específicas, como fiscalizações e obrigações legais ou regulatórias, pelos prazos ' +
          'abaixo. Ao fim de cada prazo, os dados são eliminados ou anonimizados, salvo ordem de preservação de ' +
          'autoridade competente.',
      ],
    },
    {
      kind: 'table',
      head: ['Dado', 'Prazo de conservação', 'Fundamento', 'Observação'],
      rows: policy.retention.map((r) => [
        labelOf.get(r.category) ?? r.category,
        capitalise(retentionPeriodPt(r.rule)),
        r.verified ? r.source : `${r.source} (${UNVERIFIED_SOURCE})`,
        r.note?.pt ?? '',
      ]),
    },
  );
  if (policy.retention.some((r) => !r.verified)) {
    blocks.push({
      kind: 'paragraph',
      content: [`Os fundamentos marcados como "${UNVERIFIED_SOURCE}" ainda não foram confirmados.`],
    });
  }

  const history = [...(options.history ?? [])];
  if (!history.some((h) => h.version === policy.version)) history.push(policy);
  history.sort((x, y) => y.version - x.version);
  blocks.push(
    { kind: 'heading', level: 2, text: '4. Revisões desta política' },
    {
      kind: 'paragraph',
      content: [
        'Esta Política de Privacidade será revisada e atualizada de tempos em tempos. Cada versão tem número e ' +
          'data de vigência, e cada dado guarda a versão em vigor quando foi coletado.',
      ],
    },
    { kind: 'heading', level: 3, text: 'Histórico de versões' },
    {
      kind: 'list',
      items: history.map((h) => [
        { strong: `Versão ${h.version}` },
        `, vigente a partir de ${datePt(h.effectiveDate)}: ${h.summary.pt}`,
      ]),
    },
  );
  return blocks;
}

// Inline segments keep their edge spaces (they join with their neighbours); whole blocks are trimmed.
const squash = (s: string): string => s.replace(/\s+/g, ' ');
// Backslash-escape what Markdown would read as markup; plain letters and punctuation stay readable.
const md = (s: string): string => squash(s).replace(/[\\`*_[\]<>|#]/g, '\\$&');
const mdInline = (content: Inline[]): string =>
  content
    .map((part) => (typeof part === 'string' ? md(part) : `**${md(part.strong)}**`))
    .join('')
    .trim();

/** The policy as pt-BR Markdown. */
export function renderPolicyMarkdown(policy: Policy, options: RenderOptions = {}): string {
  const out = buildDocument(policy, options).map((block) => {
    switch (block.kind) {
      case 'heading':
        return `${'#'.repeat(block.level)} ${md(block.text)}`;
      case 'paragraph':
        return mdInline(block.content);
      case 'list':
        return block.items.map((item) => `- ${mdInline(item)}`).join('\n');
      case 'table': {
        const row = (cells: string[]): string => `| ${cells.map(md).join(' | ')} |`;
        return [row(block.head), row(block.head.map(() => '---')), ...block.rows.map(row)].join('\n');
      }
    }
  });
  return `${out.join('\n\n')}\n`;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const html = (s: string): string => squash(s).replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
const htmlInline = (content: Inline[]): string =>
  content
    .map((part) => (typeof part === 'string' ? html(part) : `<strong>${html(part.strong)}</strong>`))
    .join('')
    .trim();

/** The policy as a standalone pt-BR HTML page; every policy value is escaped. */
export function renderPolicyHtml(policy: Policy, options: RenderOptions = {}): string {
  const body = buildDocument(policy, options).map((block) => {
    switch (block.kind) {
      case 'heading':
        return `<h${block.level}>${html(block.text)}</h${block.level}>`;
      case 'paragraph':
        return `<p>${htmlInline(block.content)}</p>`;
      case 'list':
        return `<ul>\n${block.items.map((item) => `<li>${htmlInline(item)}</li>`).join('\n')}\n</ul>`;
      case 'table': {
        const cells = (tag: 'th' | 'td', row: string[]): string =>
          `<tr>${row.map((c) => `<${tag}>${html(c)}</${tag}>`).join('')}</tr>`;
        return (
          `<table>\n<thead>${cells('th', block.head)}</thead>\n<tbody>\n` +
          `${block.rows.map((r) => cells('td', r)).join('\n')}\n</tbody>\n</table>`
        );
      }
    }
  });
  const title = `Política de Privacidade — ${html(policy.controller.name)} (versão ${policy.version})`;
  return (
    '<!doctype html>\n<html lang="pt-BR">\n<head>\n<meta charset="utf-8">\n' +
    `<title>${title}</title>\n</head>\n<body>\n<main>\n${body.join('\n')}\n</main>\n</body>\n</html>\n`
  );
}
