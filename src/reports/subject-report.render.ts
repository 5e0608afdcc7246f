/**
 * Renders the subject report (subject-report.model.ts) as HTML and as PDF (pdfkit, standard Helvetica: its
 * WinAnsi encoding covers Portuguese). Both say the same things in the same order, so a DPO can send either.
 */
import PDFDocument from 'pdfkit';
import { labelledRows } from './pdf-rows.ts';
import { countPt, datePt, dateTimePt, type SubjectReportModel } from './subject-report.model.ts';

/** The export format version the report refers to (src/subject-requests/subject-export.ts). */
const EXPORT_VERSION = 2;

const TITLE = 'Declaração completa dos dados pessoais tratados';

function intro(m: SubjectReportModel): string {
  return (
    `Em resposta à solicitação de acesso recebida em ${datePt(m.request.receivedAt)} (protocolo ${m.request.id}), ` +
    `${m.controller.name} declara, nos termos do art. 19, II, da Lei nº 13.709/2018 (LGPD), os dados pessoais que ` +
    `mantém a seu respeito, a finalidade e a base legal de cada tratamento, a origem dos dados, desde quando são ` +
    `mantidos, por quanto tempo serão conservados e com quem podem ser compartilhados. ` +
    `Os dados em si seguem no arquivo de exportação (formato sigilo.subject-export, versão ${EXPORT_VERSION}).`
  );
}

function rows(c: SubjectReportModel['categories'][number]): [string, string][] {
  return [
    ['Itens mantidos', countPt(c.items, 'item', 'itens')],
    ['Finalidades', c.purposes.join('; ') || '—'],
    ['Base legal', c.legalBasis],
    ['Origem', c.sources.join('; ') || '—'],
    [
      'Coletados',
      c.firstCollectedAt && c.lastCollectedAt
        ? c.firstCollectedAt.slice(0, 10) === c.lastCollectedAt.slice(0, 10)
          ? `em ${datePt(c.firstCollectedAt)}`
          : `de ${datePt(c.firstCollectedAt)} a ${datePt(c.lastCollectedAt)}`
        : '—',
    ],
    ['Prazo de conservação', c.retentionRule],
    ['Fundamento do prazo', c.retentionSource || '—'],
    ['Conservados', c.keptUntil],
    ...(c.blockedSince
      ? ([
          [
            'Situação',
            `bloqueados a seu pedido desde ${datePt(c.blockedSince)}: usados somente para cumprir obrigação legal ou regulatória, para o exercício regular de direitos e para atender aos seus pedidos`,
          ],
        ] as [string, string][])
      : []),
  ];
}

function recordingPt(r: SubjectReportModel['recordings'][number]): string {
  const size =
    r.sizeBytes === null
      ? ''
      : `, ${(r.sizeBytes / 1024).toLocaleString('pt-BR', { maximumFractionDigits: 0 })} KiB`;
  return `Gravação de ${dateTimePt(r.recordedAt)}${size}${r.keptUntil ? `; conservada até ${datePt(r.keptUntil)}` : ''}`;
}

function requestPt(r: SubjectReportModel['requests'][number]): string {
  return `${r.typeLabel}: recebida em ${datePt(r.receivedAt)}, ${r.stateLabel}${
    r.answeredAt ? ` em ${datePt(r.answeredAt)}` : ''
  }.`;
}

function closing(m: SubjectReportModel): string {
  return (
    `Você pode pedir a correção de dados incompletos, inexatos ou desatualizados, a anonimização, o bloqueio ou a ` +
    `eliminação de dados desnecessários, a portabilidade e a informação sobre compartilhamento (LGPD, art. 18). ` +
    `Os dados que a lei obriga a conservar (art. 16) são mantidos até o fim do prazo indicado e então eliminados. ` +
    `Fale com o encarregado pelo tratamento de dados pessoais: ${m.controller.dpoEmail}.`
  );
}

/** What an access touched; a step of a request touches no data category. */
function accessedPt(a: SubjectReportModel['accesses']['shown'][number]): string {
  return a.categories.length ? a.categories.join(', ') : 'andamento da solicitação';
}

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The report as a self-contained HTML page (pt-BR). */
export function renderSubjectReportHtml(m: SubjectReportModel): string {
  const categories = m.categories
    .map(
      (c) =>
        `<section><h3>${esc(c.label)}</h3><p class="d">${esc(c.description)}</p><table>${rows(c)
          .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`)
          .join('')}</table></section>`,
    )
    .join('\n');
  const accesses = m.accesses.shown
    .map(
      (a) =>
        `<tr><td>${esc(dateTimePt(a.at))}</td><td>${esc(a.roleLabel)} (${esc(a.actor)})</td><td>${esc(
          a.purposeLabel ?? '—',
        )}</td><td>${esc(accessedPt(a))}</td></tr>`,
    )
    .join('');
  return `<!doctype html>
<html lang="pt-BR"><head><meta charset="utf-8"><title>${esc(TITLE)}</title>
<style>body{font-family:Helvetica,Arial,sans-serif;max-width:48em;margin:2em auto;color:#222;line-height:1.4}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}h3{margin-bottom:.2em}
p.d{margin-top:0;color:#555}table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:.2em .5em;border-bottom:1px solid #eee}
th{width:13em;color:#444;font-weight:600}</style></head><body>
<h1>${esc(TITLE)}</h1>
<p>${esc(m.controller.name)} · gerado em ${esc(dateTimePt(m.generatedAt))} · política de privacidade versão ${m.policyVersion}</p>
<p>${esc(intro(m))}</p>
<h2>Dados pessoais mantidos (${esc(countPt(m.categories.length, 'categoria', 'categorias'))})</h2>
${categories}
${
  m.recordings.length
    ? `<h2>Gravações de atendimento (${esc(countPt(m.recordings.length, 'gravação', 'gravações'))})</h2>
<p>O áudio não acompanha esta declaração; pode ser pedido ao encarregado.</p><ul>${m.recordings
        .map((r) => `<li>${esc(recordingPt(r))}</li>`)
        .join('')}</ul>`
    : ''
}
<h2>Compartilhamento</h2><p>${esc(m.sharing)}</p>
${
  m.requests.length
    ? `<h2>Suas solicitações</h2>${m.requests
        .map(
          (r) =>
            `<p>${esc(requestPt(r))}</p>${
              r.answer.length ? `<ul>${r.answer.map((a) => `<li>${esc(a)}</li>`).join('')}</ul>` : ''
            }`,
        )
        .join('')}`
    : ''
}
<h2>Histórico de acessos</h2>
<p>${esc(countPt(m.accesses.total, 'acesso registrado', 'acessos registrados'))} aos seus dados; ${
    m.accesses.shown.length < m.accesses.total
      ? `os ${m.accesses.shown.length} mais recentes abaixo`
      : 'todos abaixo'
  }. Quem acessou aparece pela função e por um pseudônimo estável, nunca pelo nome.</p>
<table><tr><th>Data</th><th>Quem</th><th>Finalidade</th><th>Dados</th></tr>${accesses}</table>
<h2>Seus direitos</h2><p>${esc(closing(m))}</p>
</body></html>
`;
}

/** The report as a PDF (A4). */
export function renderSubjectReportPdf(m: SubjectReportModel): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margin: 56,
    info: { Title: TITLE, Author: m.controller.name, Subject: `Protocolo ${m.request.id}` },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const width = doc.page.width - 112;
  const heading = (text: string): void => {
    if (doc.y > doc.page.height - 140) doc.addPage();
    doc.moveDown(0.8).font('Helvetica-Bold').fontSize(13).fillColor('#000').text(text);
    doc
      .moveTo(56, doc.y + 2)
      .lineTo(56 + width, doc.y + 2)
      .strokeColor('#bbb')
      .stroke();
    doc.moveDown(0.4).font('Helvetica').fontSize(10);
  };

  doc.font('Helvetica-Bold').fontSize(17).text(TITLE);
  doc
    .moveDown(0.3)
    .font('Helvetica')
    .fontSize(9)
    .fillColor('#555')
    .text(
      `${m.controller.name} · gerado em ${dateTimePt(m.generatedAt)} · política de privacidade versão ${m.policyVersion}`,
    );
  doc.moveDown(0.8).fontSize(10).fillColor('#000').text(intro(m), { align: 'justify' });

  heading(`Dados pessoais mantidos (${countPt(m.categories.length, 'categoria', 'categorias')})`);
  for (const c of m.categories) {
    if (doc.y > doc.page.height - 180) doc.addPage();
    doc.moveDown(0.5).font('Helvetica-Bold').fontSize(11).text(c.label);
    doc.font('Helvetica-Oblique').fontSize(9).fillColor('#555').text(c.description).fillColor('#000');
    doc.moveDown(0.2);
    labelledRows(doc, rows(c), width, 120);
  }

  if (m.recordings.length) {
    heading(`Gravações de atendimento (${countPt(m.recordings.length, 'gravação', 'gravações')})`);
    doc.text('O áudio não acompanha esta declaração; pode ser pedido ao encarregado.');
    for (const r of m.recordings) doc.text(`• ${recordingPt(r)}`);
  }

  heading('Compartilhamento');
  doc.text(m.sharing, { align: 'justify' });

  if (m.requests.length) {
    heading('Suas solicitações');
    for (const r of m.requests) {
      doc.moveDown(0.2).font('Helvetica-Bold').text(requestPt(r)).font('Helvetica');
      for (const a of r.answer) doc.text(`• ${a}`, { indent: 10 });
    }
  }

  heading('Histórico de acessos');
  doc.text(
    `${countPt(m.accesses.total, 'acesso registrado', 'acessos registrados')} aos seus dados; ${
      m.accesses.shown.length < m.accesses.total
        ? `os ${m.accesses.shown.length} mais recentes abaixo`
        : 'todos abaixo'
    }. Quem acessou aparece pela função e por um pseudônimo estável, nunca pelo nome.`,
  );
  doc.moveDown(0.4);
  const cols = [56, 150, 300, 410];
  const row = (cells: string[], bold = false): void => {
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(8);
    const widths = cols.map((x, i) => (cols[i + 1] ?? 56 + width) - x - 6);
    const h = Math.max(...cells.map((cell, i) => doc.heightOfString(cell, { width: widths[i]! })));
    if (doc.y + h > doc.page.height - 56) doc.addPage();
    const y = doc.y;
    cells.forEach((cell, i) => doc.text(cell, cols[i], y, { width: widths[i]! }));
    doc.y = y + h + 3;
    doc.x = 56;
  };
  row(['Data', 'Quem', 'Finalidade', 'Dados'], true);
  for (const a of m.accesses.shown)
    row([dateTimePt(a.at), `${a.roleLabel} (${a.actor})`, a.purposeLabel ?? '—', accessedPt(a)]);

  heading('Seus direitos');
  doc.text(closing(m), { align: 'justify' });
  doc.end();
  return done;
}
