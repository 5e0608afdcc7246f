/**
 * Drafts of the two communications of an incident (Res. CD/ANPD 15/2024), in Portuguese, for the DPO to review
 * and send: to the ANPD with the items of Art. 6, and to the subjects in plain language with the items of Art. 9.
 * Each draft is a list of items (so a test and the DPO can see none is missing) and the text built from them.
 * An item Sigilo cannot know is left as a marked gap ("[a preencher: …]"), never invented.
 */
import { DateTime } from 'luxon';
import type { Policy } from '../policy/policy.schema.ts';
import { BRASILIA } from './business-days.ts';
import type { IncidentView } from './incident.service.ts';

export interface DraftItem {
  /** Stable key of the required item (`nature`, `subjects`, `measures`, `risks`, `delay`, `dpo`…). */
  key: string;
  label: string;
  text: string;
}

export interface CommunicationDraft {
  to: 'anpd' | 'subjects';
  /** The legal source of the required items. */
  basis: string;
  title: string;
  items: DraftItem[];
  /** The whole draft as plain text (pt-BR). */
  text: string;
}

/** Facts from outside the incident row that the ANPD draft states. */
export interface DraftFacts {
  /** Customer subjects (accounts and people) whose data the affected processing holds (Art. 6, XII-like item). */
  totalSubjects: number;
  /** When the draft is made (ISO): an unsent communication past its deadline is late. */
  now: string;
}

const GAP = (what: string): string => `[a preencher: ${what}]`;

function dateTimePt(iso: string): string {
  return DateTime.fromISO(iso, { zone: 'utc' })
    .setZone(BRASILIA)
    .setLocale('pt-BR')
    .toFormat("dd/MM/yyyy 'às' HH:mm (horário de Brasília)");
}

function datePt(isoDate: string): string {
  return DateTime.fromISO(isoDate).setLocale('pt-BR').toFormat('dd/MM/yyyy');
}

function categoriesPt(policy: Policy, ids: readonly string[]): string {
  const labels = ids.map((id) => policy.categories.find((c) => c.id === id)?.label.pt ?? id);
  return labels.length ? labels.join('; ') : GAP('categorias de dados afetadas');
}

function subjectsPt(i: IncidentView): string {
  const n = i.affectedSubjects;
  const count = n === 1 ? '1 (um) titular' : `${n.toLocaleString('pt-BR')} titulares`;
  const how =
    i.affectedBasis === 'key_version'
      ? ` Número apurado a partir das chaves de dados protegidas pela versão ${i.leakedKeyVersion} da chave mestra, ` +
        'comprometida no incidente.'
      : ' Número estimado pelo controlador.';
  return `${count}.${how} Não há, entre os titulares, tratamento específico de dados de crianças ou adolescentes.`;
}

/** Whether the communication was (or, not sent yet, would now be) made after its deadline. */
function late(i: IncidentView, sentAt: string | null, now: string): boolean {
  return (sentAt ?? now) > i.communicationDueAt;
}

function delayPt(i: IncidentView, sentAt: string | null, now: string): string {
  if (!late(i, sentAt, now) && !i.delayReason) return 'Comunicação feita dentro do prazo de três dias úteis.';
  return i.delayReason ?? GAP('motivos da demora na comunicação');
}

function render(title: string, intro: string, items: DraftItem[], closing: string): string {
  return [title, '', intro, '', ...items.map((it) => `${it.label}\n${it.text}\n`), closing].join('\n');
}

/** The communication to the ANPD (Res. CD/ANPD 15/2024, Art. 6), as a draft. */
export function anpdDraft(i: IncidentView, policy: Policy, facts: DraftFacts): CommunicationDraft {
  const operators = policy.operators.filter((o) => o.categories.some((c) => i.categories.includes(c)));
  const items: DraftItem[] = [
    {
      key: 'controller',
      label: 'Identificação do controlador',
      text: `${policy.controller.name}. ${GAP('CNPJ e endereço; declarar se é agente de tratamento de pequeno porte')}`,
    },
    {
      key: 'dpo',
      label: 'Encarregado pelo tratamento de dados pessoais',
      text: `Contato do encarregado: ${policy.controller.dpoEmail}.`,
    },
    {
      key: 'operator',
      label: 'Operadores envolvidos',
      text: operators.length
        ? operators.map((o) => `${o.name} (${o.service.pt})`).join('; ')
        : 'Nenhum operador declarado trata as categorias de dados afetadas.',
    },
    {
      key: 'description',
      label: 'Descrição do incidente e causa principal',
      text: i.description ?? GAP('descrição do incidente'),
    },
    {
      key: 'dates',
      label: 'Data da ocorrência e data do conhecimento',
      text:
        `Ocorrência: ${i.occurredAt ? dateTimePt(i.occurredAt) : 'não determinada'}. ` +
        `Conhecimento pelo controlador: ${dateTimePt(i.knownAt)}.`,
    },
    {
      key: 'nature',
      label: 'Natureza e categorias dos dados pessoais afetados',
      text: `${categoriesPt(policy, i.categories)}. Não são tratados dados pessoais sensíveis (LGPD, art. 11).`,
    },
    { key: 'subjects', label: 'Número de titulares afetados', text: subjectsPt(i) },
    {
      key: 'total_subjects',
      label: 'Total de titulares cujos dados são tratados nas atividades afetadas',
      text: `${facts.totalSubjects.toLocaleString('pt-BR')} titulares.`,
    },
    {
      key: 'measures',
      label:
        'Medidas técnicas e de segurança, antes e após o incidente, e medidas para reverter ou mitigar seus efeitos',
      text:
        'Antes do incidente: dados pessoais cifrados com AES-256-GCM sob chave própria de cada titular, protegida ' +
        'por chave mestra; registro encadeado e assinado de todos os acessos. ' +
        (i.measures ?? GAP('medidas adotadas após o incidente e para mitigar os seus efeitos')),
    },
    {
      key: 'risks',
      label: 'Riscos relacionados ao incidente e possíveis impactos aos titulares',
      text: i.risks ?? GAP('riscos e possíveis impactos aos titulares'),
    },
    { key: 'delay', label: 'Motivos da demora', text: delayPt(i, i.anpdCommunicatedAt, facts.now) },
  ];
  const title = `Comunicação de incidente de segurança à ANPD — ${policy.controller.name}`;
  const intro =
    `Em cumprimento ao art. 48 da Lei nº 13.709/2018 (LGPD) e ao art. 6º da Resolução CD/ANPD nº 15/2024, ` +
    `${policy.controller.name} comunica o incidente de segurança registrado sob o protocolo ${i.id}. ` +
    `Prazo da comunicação: ${datePt(i.communicationDueDate)} (três dias úteis do conhecimento).`;
  const closing = 'Este é um rascunho gerado pelo registro de incidentes; revise cada item antes do envio.';
  return {
    to: 'anpd',
    basis: 'Res. CD/ANPD 15/2024, art. 6º',
    title,
    items,
    text: render(title, intro, items, closing),
  };
}

/** The communication to the affected subjects (Res. CD/ANPD 15/2024, Art. 9), as a draft in plain language. */
export function subjectsDraft(i: IncidentView, policy: Policy, now: string): CommunicationDraft {
  const items: DraftItem[] = [
    {
      key: 'nature',
      label: 'O que aconteceu e quais dados foram afetados',
      text: `${i.description ?? GAP('descrição do incidente')} Dados afetados: ${categoriesPt(policy, i.categories)}.`,
    },
    {
      key: 'known',
      label: 'Quando soubemos',
      text: `Tomamos conhecimento do incidente em ${dateTimePt(i.knownAt)}.`,
    },
    {
      key: 'measures',
      label: 'Como protegemos seus dados e o que estamos fazendo',
      text:
        'Seus dados são guardados cifrados, com uma chave própria para cada cliente, e todo acesso a eles é ' +
        'registrado. ' +
        (i.measures ?? GAP('medidas adotadas para reverter ou mitigar os efeitos do incidente')),
    },
    {
      key: 'risks',
      label: 'Quais são os riscos para você',
      text: i.risks ?? GAP('riscos e possíveis impactos aos titulares, em linguagem simples'),
    },
    { key: 'delay', label: 'Prazo desta comunicação', text: delayPt(i, i.subjectsCommunicatedAt, now) },
    {
      key: 'contact',
      label: 'Como falar conosco',
      text:
        `Para saber mais ou exercer seus direitos, fale com o encarregado pelo tratamento de dados pessoais: ` +
        `${policy.controller.dpoEmail}.`,
    },
  ];
  const title = `Aviso sobre um incidente de segurança com seus dados — ${policy.controller.name}`;
  const intro =
    'Olá. Escrevemos para avisar, com transparência, sobre um incidente de segurança que pode ter afetado ' +
    'dados pessoais seus, como determina a Lei Geral de Proteção de Dados (art. 48) e o art. 9º da ' +
    'Resolução CD/ANPD nº 15/2024.';
  const closing = `Atenciosamente,\n${policy.controller.name}`;
  return {
    to: 'subjects',
    basis: 'Res. CD/ANPD 15/2024, art. 9º',
    title,
    items,
    text: render(title, intro, items, closing),
  };
}
