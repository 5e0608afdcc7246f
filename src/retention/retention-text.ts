/**
 * Retention reports as staff read them, in Portuguese (Brazil): the dry run, a sweep's outcome, the certificate
 * list and a verification. Numbers agree with their nouns and verbs (src/i18n/pt-br.ts); ids, category ids and
 * target ids are shown as they are, being identifiers rather than words.
 */
import { countPt, pluralPt } from '../i18n/pt-br.ts';
import type { CertificateSummary } from './certificate.service.ts';
import { dateTimePt, type CertificateBody, type VerifyResult } from './deletion-certificate.ts';
import type { PreviewReport } from './retention-preview.ts';
import type { SkipReason, SweepReport } from './retention-sweep.ts';

const SKIPPED_PT: Record<SkipReason, string> = {
  no_rule: 'a política não tem regra para esta categoria',
  unsupported_rule: 'a regra da política não se aplica a este tipo de registro',
  busy: 'outra instância está eliminando estes registros',
  limit: 'a execução parou no limite de lotes ou de tempo',
};

const RUN_STATUS_PT: Record<CertificateBody['runStatus'], string> = {
  completed: 'concluída',
  failed: 'com erro',
  interrupted: 'interrompida',
};

const PROBLEM_PT: Record<NonNullable<VerifyResult['problem']>, string> = {
  signature_invalid: 'a assinatura não confere',
  unknown_key: 'assinado com uma chave que não é a deste Sigilo',
  body_mismatch: 'o corpo legível difere dos bytes assinados',
  hash_mismatch: 'os resumos SHA-256 não conferem',
  count_mismatch: 'as contagens não conferem',
  malformed: 'o certificado está malformado',
};

const activeHoldsPt = (n: number): string =>
  pluralPt(n, {
    one: '# bloqueio legal ativo',
    other: '# bloqueios legais ativos',
    zero: 'nenhum bloqueio legal ativo',
  });

/** The dry run, target by target. */
export function previewTextPt(p: PreviewReport, zone: string): string {
  const when = (iso: string | null): string => (iso ? dateTimePt(iso, zone) : '—');
  const lines = [
    `Simulação de retenção em ${when(p.generatedAt)} (versão ${p.policyVersion} da política; ` +
      `${activeHoldsPt(p.activeHolds)})`,
  ];
  for (const t of p.targets) {
    const rule = t.ruleText
      ? `${t.ruleText}${t.verified === false ? ' [fonte não verificada]' : ''}`
      : 'nenhuma';
    lines.push('', `${t.target} — ${t.categoryLabel}: ${t.description}`, `  regra: ${rule}`);
    if (t.source) lines.push(`  fundamento: ${t.source}`);
    if (t.skipped) {
      lines.push(`  não varrido: ${SKIPPED_PT[t.skipped]}`);
      continue;
    }
    const atLeast = t.capped ? 'pelo menos ' : '';
    const due = pluralPt(t.due.items, {
      one: `seria eliminado ${atLeast}# item`,
      other: `seriam eliminados ${atLeast}# itens`,
      zero: 'nada a eliminar agora',
    });
    lines.push(
      `  ${due}` +
        (t.due.items
          ? ` (${countPt(t.due.records, 'registro', 'registros')}), de ${when(t.due.from)} a ${when(t.due.to)}`
          : ''),
      `  mantidos por bloqueio legal: ${countPt(t.held, 'item', 'itens')}`,
      `  próximo vencimento: ${when(t.nextExpiry)}`,
    );
  }
  lines.push('', p.note);
  return `${lines.join('\n')}\n`;
}

/** A sweep's outcome: totals, then each target that deleted, kept or skipped something. */
export function sweepTextPt(r: SweepReport): string {
  const t = r.totals;
  const lines = [
    `Varredura ${r.runId} ${RUN_STATUS_PT[r.status]}. ` +
      pluralPt(t.records, {
        one: 'Foi eliminado # registro',
        other: 'Foram eliminados # registros',
        zero: 'Nenhum registro foi eliminado',
      }) +
      (t.records ? ` (${countPt(t.items, 'item', 'itens')})` : '') +
      `; ${pluralPt(t.held, { one: '# item mantido', other: '# itens mantidos' })} por bloqueio legal` +
      `; chaves destruídas de ${countPt(t.shreddedSubjects, 'titular', 'titulares')}.`,
  ];
  if (r.incomplete) lines.push('A execução parou no limite; execute de novo para continuar.');
  for (const x of r.targets) {
    if (!x.items && !x.held && !x.skipped) continue;
    lines.push(
      `  ${x.target}: ${pluralPt(x.records, { one: '# registro eliminado', other: '# registros eliminados' })}, ` +
        `${pluralPt(x.held, { one: '# item mantido', other: '# itens mantidos' })}` +
        (x.skipped ? `; não concluído: ${SKIPPED_PT[x.skipped]}` : ''),
    );
  }
  lines.push(
    r.certificateId
      ? `Certificado de eliminação: ${r.certificateId}`
      : 'Nada foi eliminado; nenhum certificado emitido.',
  );
  return `${lines.join('\n')}\n`;
}

/** One line of the certificate list. */
export function certificateLinePt(c: CertificateSummary): string {
  return (
    `${c.id}  ${c.issuedAt}  ${RUN_STATUS_PT[c.runStatus].padEnd(12)}  ` +
    `${countPt(c.totals.records, 'registro', 'registros').padStart(18)}  ${c.categories.join(', ')}`
  );
}

/** What a verification found. */
export function verifyTextPt(result: VerifyResult): string {
  return result.ok
    ? 'Certificado válido: assinado por este Sigilo e sem alterações.'
    : `Certificado INVÁLIDO: ${PROBLEM_PT[result.problem ?? 'malformed']} (${result.problem ?? 'malformed'}).`;
}
