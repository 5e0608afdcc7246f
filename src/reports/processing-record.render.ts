/**
 * Renders the records of processing (processing-record.model.ts) as HTML and as PDF (pdfkit, standard Helvetica,
 * as the subject report). Both are built from the same sections, so they say the same things in the same order.
 */
import PDFDocument from 'pdfkit';
import { countPt } from '../i18n/pt-br.ts';
import { countryPt } from '../policy/policy.render.ts';
import type { ProcessingRecordModel } from './processing-record.model.ts';
import { labelledRows } from './pdf-rows.ts';
import { dateTimePt } from './subject-report.model.ts';

const TITLE = 'Registro das operações de tratamento de dados pessoais';

/** One block of the report: each entry is a titled list of label/value pairs. */
interface Section {
  heading: string;
  intro?: string;
  entries: { title: string; rows: [string, string][] }[];
}

const list = (items: readonly string[]): string => (items.length ? items.join('; ') : '—');
const n = (v: number): string => v.toLocaleString('pt-BR');

function intro(m: ProcessingRecordModel): string {
  return (
    `Registro mantido por ${m.controller.name}, controladora, nos termos do art. 37 da Lei nº 13.709/2018 (LGPD). ` +
    `Gerado a partir da política de privacidade em vigor (versão ${m.policyVersion}, vigente desde ` +
    `${m.effectiveDate}) e das contagens dos dados efetivamente armazenados no momento da geração. ` +
    `Titulares com dados mantidos: ${countPt(m.subjects.accounts, 'cliente contratante', 'clientes contratantes')} e ` +
    `${countPt(m.subjects.people, 'pessoa de contato ou usuária', 'pessoas de contato ou usuárias')}. ` +
    `Encarregado: ${m.controller.dpoEmail}.`
  );
}

function sections(m: ProcessingRecordModel): Section[] {
  return [
    {
      heading: `Categorias de dados pessoais (${m.categories.length})`,
      entries: m.categories.map((c) => ({
        title: c.label,
        rows: [
          ['Descrição', c.description],
          ['Finalidades', list(c.purposes)],
          ['Base legal', c.legalBasis],
          ['Acesso por', list(c.roles)],
          ['Operadores', list(c.operators)],
          ['Prazo de conservação', c.retention],
          ['Fundamento do prazo', c.retentionSource],
          ['Registros armazenados', n(c.records)],
          ['Titulares', n(c.subjects)],
        ],
      })),
    },
    {
      heading: `Finalidades (${m.purposes.length})`,
      entries: m.purposes.map((p) => ({
        title: p.label,
        rows: [
          ['Descrição', p.description],
          ['Base legal', p.legalBasis],
          ['Dados utilizados', list(p.categories)],
          ['Acesso por', list(p.roles)],
          ['Acessos registrados', n(p.accesses)],
          ['Comunicações a terceiros', n(p.disclosures)],
          ...(p.legalSecrecy
            ? [['Sigilo', 'acessos sob sigilo legal (ordens de autoridades)'] as [string, string]]
            : []),
        ],
      })),
    },
    {
      heading: `Bases legais (${m.legalBases.length})`,
      entries: m.legalBases.map((b) => ({
        title: b.basis,
        rows: [
          ['Finalidades', list(b.purposes)],
          ['Categorias', list(b.categories)],
          ['Registros armazenados', n(b.records)],
        ],
      })),
    },
    {
      heading: 'Prazos de conservação',
      entries: m.retention.map((r) => ({
        title: r.category,
        rows: [
          ['Prazo', r.rule],
          ['Fundamento', r.verified ? r.source : `${r.source} (a confirmar pelo jurídico)`],
          ...(r.note ? [['Observação', r.note] as [string, string]] : []),
          ['Registros armazenados', n(r.records)],
        ],
      })),
    },
    {
      heading: 'Operadores',
      ...(m.operators.length ? {} : { intro: 'Nenhum operador declarado na política em vigor.' }),
      entries: m.operators.map((o) => ({
        title: o.name,
        rows: [
          ['Serviço', o.service],
          ['País', `${countryPt(o.country)} (${o.country})`],
          ...(o.transferSafeguard
            ? [['Transferência internacional', o.transferSafeguard] as [string, string]]
            : []),
          ['Categorias', list(o.categories)],
          ['Finalidades', list(o.purposes)],
        ],
      })),
    },
    {
      heading: 'Compartilhamento',
      entries: m.sharing.map((s) => ({
        title: s.recipient,
        rows: [
          ['Finalidade', s.purpose],
          ['Base legal', s.legalBasis],
          ['Categorias', list(s.categories)],
          ['Comunicações registradas', n(s.disclosures)],
        ],
      })),
    },
    {
      heading: 'Atribuições dos perfis',
      intro:
        'Ações que não são operações sobre uma categoria de dados (ordens de preservação, requisições, ' +
        'credenciais); os dados pessoais que cada uma envolve continuam sujeitos aos acessos acima.',
      entries: m.duties.map((d) => ({
        title: d.label,
        rows: [
          ['Descrição', d.description],
          ['Perfis', list(d.roles)],
        ],
      })),
    },
  ];
}

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The records of processing as a self-contained HTML page (pt-BR). */
export function renderProcessingRecordHtml(m: ProcessingRecordModel): string {
  const body = sections(m)
    .map(
      (s) =>
        `<h2>${esc(s.heading)}</h2>${s.intro ? `<p>${esc(s.intro)}</p>` : ''}${s.entries
          .map(
            (e) =>
              `<section><h3>${esc(e.title)}</h3><table>${e.rows
                .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`)
                .join('')}</table></section>`,
          )
          .join('\n')}`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="pt-BR"><head><meta charset="utf-8"><title>${esc(TITLE)}</title>
<style>body{font-family:Helvetica,Arial,sans-serif;max-width:52em;margin:2em auto;color:#222;line-height:1.4}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}h3{margin-bottom:.2em}
table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:.2em .5em;border-bottom:1px solid #eee}
th{width:14em;color:#444;font-weight:600}</style></head><body>
<h1>${esc(TITLE)}</h1>
<p>${esc(m.controller.name)} · gerado em ${esc(dateTimePt(m.generatedAt))} · política de privacidade versão ${m.policyVersion}</p>
<p>${esc(intro(m))}</p>
${body}
</body></html>
`;
}

/** The records of processing as a PDF (A4). */
export function renderProcessingRecordPdf(m: ProcessingRecordModel): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margin: 56,
    info: { Title: TITLE, Author: m.controller.name, Subject: `Política versão ${m.policyVersion}` },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const width = doc.page.width - 112;
  doc.font('Helvetica-Bold').fontSize(16).text(TITLE);
  doc
    .moveDown(0.3)
    .font('Helvetica')
    .fontSize(9)
    .fillColor('#555')
    .text(
      `${m.controller.name} · gerado em ${dateTimePt(m.generatedAt)} · política de privacidade versão ${m.policyVersion}`,
    );
  doc.moveDown(0.8).fontSize(10).fillColor('#000').text(intro(m), { align: 'justify' });
  for (const s of sections(m)) {
    if (doc.y > doc.page.height - 140) doc.addPage();
    doc.moveDown(0.8).font('Helvetica-Bold').fontSize(13).fillColor('#000').text(s.heading, 56);
    doc
      .moveTo(56, doc.y + 2)
      .lineTo(56 + width, doc.y + 2)
      .strokeColor('#bbb')
      .stroke();
    doc.moveDown(0.4).font('Helvetica').fontSize(10);
    if (s.intro) doc.text(s.intro, 56);
    for (const e of s.entries) {
      if (doc.y > doc.page.height - 160) doc.addPage();
      doc.moveDown(0.5).font('Helvetica-Bold').fontSize(11).text(e.title, 56, doc.y, { width });
      doc.moveDown(0.2);
      labelledRows(doc, e.rows, width, 130);
    }
  }
  doc.end();
  return done;
}
