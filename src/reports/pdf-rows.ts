/** Shared pdfkit layout of the Portuguese reports (subject declaration, records of processing). */

/**
 * Label/value rows at the left margin (56): bold label in `labelWidth`, value beside it. A pair never breaks across
 * pages (pdfkit would put the label and its value on different pages).
 */
export function labelledRows(
  doc: PDFKit.PDFDocument,
  rows: Iterable<readonly [string, string]>,
  width: number,
  labelWidth: number,
): void {
  const valueX = 56 + labelWidth + 4;
  const valueWidth = width - labelWidth - 4;
  for (const [k, v] of rows) {
    doc.font('Helvetica').fontSize(9);
    const h = Math.max(
      doc.heightOfString(v, { width: valueWidth }),
      doc.heightOfString(k, { width: labelWidth }),
    );
    if (doc.y + h > doc.page.height - 56) doc.addPage();
    const y = doc.y;
    doc.font('Helvetica-Bold').fontSize(9).text(k, 56, y, { width: labelWidth });
    doc.font('Helvetica').fontSize(9).text(v, valueX, y, { width: valueWidth });
    doc.y = y + h + 1;
    doc.x = 56;
  }
}
