/**
 * The Portuguese cover letter of an authority-request answer, in HTML and PDF (pdfkit): which order it answers,
 * what was searched (targets, window, categories) and what was found, per category, with the retention limits that
 * applied. The letter is part of the signed package; it names the targets because the authority named them.
 */
import PDFDocument from 'pdfkit';

/** Everything the letter says. */
export interface CoverLetter {
  controller: string;
  authority: { name: string; type: string };
  externalReference: string;
  requestId: { country: string; authority: string; number: string };
  courtOrderRef: string | null;
  legalBasis: string;
  window: { from: string | null; to: string | null };
  targets: string[];
  categories: { id: string; label: string; found: number; note?: string }[];
  retentionNotes: { label: string; retainedFrom: string }[];
  approvedBy: string | null;
  issuedAt: string;
  secret: boolean;
}

const AUTHORITY_TYPES_PT: Record<string, string> = {
  judge: 'Autoridade judicial',
  police_chief: 'Autoridade policial (Delegado de Polícia)',
  public_prosecutor: 'Ministério Público',
  administrative_authority: 'Autoridade administrativa',
  anpd: 'Autoridade Nacional de Proteção de Dados (ANPD)',
  anatel: 'Agência Nacional de Telecomunicações (Anatel)',
};

/** "1 registro encontrado", "3 registros encontrados", "nenhum registro encontrado". */
export function foundText(n: number): string {
  if (n === 0) return 'nenhum registro encontrado';
  return n === 1 ? '1 registro encontrado' : `${n.toLocaleString('pt-BR')} registros encontrados`;
}

/** "1 alvo", "2 alvos". */
export function targetsText(n: number): string {
  return n === 1 ? '1 alvo' : `${n.toLocaleString('pt-BR')} alvos`;
}

function dateTime(iso: string | null): string {
  if (!iso) return 'não delimitado';
  return new Intl.DateTimeFormat('pt-BR', {
    dateStyle: 'short',
    timeStyle: 'medium',
    timeZone: 'America/Sao_Paulo',
  }).format(new Date(iso));
}

function categoryLine(c: CoverLetter['categories'][number]): string {
  if (c.note === 'not_held') return `${c.label}: a empresa não armazena este tipo de dado`;
  return `${c.label}: ${foundText(c.found)}`;
}

/** The letter as paragraphs, shared by the HTML and the PDF. */
export function coverLetterSections(l: CoverLetter): { title: string; lines: string[] }[] {
  const total = l.categories.reduce((n, c) => n + c.found, 0);
  return [
    {
      title: 'Requisição',
      lines: [
        `Destinatário: ${l.authority.name} (${AUTHORITY_TYPES_PT[l.authority.type] ?? l.authority.type})`,
        `Referência da autoridade: ${l.externalReference}`,
        `Identificador da requisição: ${l.requestId.country} / ${l.requestId.authority} / ${l.requestId.number}`,
        `Ordem judicial: ${l.courtOrderRef ?? 'não se aplica (dados cadastrais requisitados por autoridade com competência legal)'}`,
        `Fundamento legal indicado: ${l.legalBasis}`,
        ...(l.secret
          ? ['Requisição sob sigilo: este atendimento não é informado ao titular dos dados.']
          : []),
      ],
    },
    {
      title: 'O que foi pesquisado',
      lines: [
        `Período: de ${dateTime(l.window.from)} a ${dateTime(l.window.to)} (horário de Brasília)`,
        `Alvos (${targetsText(l.targets.length)}): ${l.targets.join('; ')}`,
        `Categorias: ${l.categories.map((c) => c.label).join('; ')}`,
        'A pesquisa limitou-se aos alvos, ao período e às categorias indicados na ordem.',
      ],
    },
    {
      title: 'O que foi encontrado',
      lines: [
        ...l.categories.map(categoryLine),
        `Total: ${foundText(total)}.`,
        ...l.retentionNotes.map(
          (n) =>
            `${n.label}: registros anteriores a ${dateTime(n.retainedFrom)} não são mais guardados, por terem excedido o prazo legal de conservação.`,
        ),
      ],
    },
    {
      title: 'Integridade',
      lines: [
        'Os dados seguem em JSON e CSV, um arquivo por categoria. O arquivo manifest.json traz o resumo SHA-256 de cada arquivo e é assinado com Ed25519 (manifest.sig).',
        'A assinatura pode ser conferida com a chave pública publicada pela empresa, sem acesso aos seus sistemas (sigilo verify-export).',
      ],
    },
  ];
}

function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

/** The letter as a standalone HTML page (no scripts, no external resources). */
export function renderCoverLetterHtml(l: CoverLetter): string {
  const sections = coverLetterSections(l)
    .map(
      (s) =>
        `<h2>${escapeHtml(s.title)}</h2>\n<ul>\n${s.lines.map((x) => `<li>${escapeHtml(x)}</li>`).join('\n')}\n</ul>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="pt-BR">
<head><meta charset="utf-8"><title>Resposta à requisição ${escapeHtml(l.externalReference)}</title></head>
<body>
<h1>Resposta à requisição ${escapeHtml(l.externalReference)}</h1>
<p>${escapeHtml(l.controller)} encaminha, em atendimento à requisição abaixo, os dados localizados.</p>
${sections}
<p>Emitido em ${escapeHtml(dateTime(l.issuedAt))}${l.approvedBy ? ` — liberação aprovada por ${escapeHtml(l.approvedBy)}` : ''}.</p>
</body>
</html>
`;
}

/** The same letter as a PDF. */
export function renderCoverLetterPdf(l: CoverLetter): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({
      size: 'A4',
      margin: 56,
      info: { Title: `Resposta à requisição ${l.externalReference}`, Author: l.controller },
      // Fixed dates keep the bytes of a package reproducible from the same answer.
      ...({ creationDate: new Date(l.issuedAt) } as object),
    });
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    doc.fontSize(16).text(`Resposta à requisição ${l.externalReference}`);
    doc.moveDown();
    doc
      .fontSize(11)
      .text(`${l.controller} encaminha, em atendimento à requisição abaixo, os dados localizados.`);
    for (const s of coverLetterSections(l)) {
      doc.moveDown().fontSize(13).text(s.title);
      doc.fontSize(10);
      for (const line of s.lines) doc.text(`• ${line}`, { paragraphGap: 2 });
    }
    doc
      .moveDown()
      .fontSize(10)
      .text(
        `Emitido em ${dateTime(l.issuedAt)}${l.approvedBy ? ` — liberação aprovada por ${l.approvedBy}` : ''}.`,
      );
    doc.end();
  });
}
