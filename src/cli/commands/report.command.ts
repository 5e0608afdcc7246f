/**
 * `sigilo report processing`: the records of processing (LGPD Art. 37) from the policy in force and live counts,
 * as JSON (`--json`, the default), HTML (`--html`) or PDF (`--pdf`), to stdout or `--out <file>`. Each generation
 * is written to the access log.
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { SigiloError } from '../../errors.ts';
import {
  renderProcessingRecordHtml,
  renderProcessingRecordPdf,
} from '../../reports/processing-record.render.ts';
import type { CliContext } from '../cli-context.ts';

/** Registers `sigilo report ...`. */
export function registerReportCommands(program: Command, ctx: CliContext): void {
  const report = program.command('report').description('Reports for the DPO and the ANPD');
  report
    .command('processing')
    .description(
      'Records of processing (LGPD Art. 37) in Portuguese: categories, purposes, legal bases, retention',
    )
    .option('--json', 'JSON (the default)')
    .option('--html', 'a self-contained HTML page')
    .option('--pdf', 'a PDF (A4)')
    .option('--out <file>', 'write to this file (mode 0600) instead of stdout')
    .option('--actor <id>', 'staff id written to the access log')
    .action(async (opts: { json?: boolean; html?: boolean; pdf?: boolean; out?: string; actor?: string }) => {
      if ([opts.json, opts.html, opts.pdf].filter(Boolean).length > 1) {
        throw new SigiloError('VALIDATION_FAILED', 'choose one of --json, --html, --pdf', { path: 'format' });
      }
      const format = opts.pdf ? 'pdf' : opts.html ? 'html' : 'json';
      const model = await ctx.withSigilo(async (sigilo) => {
        const m = await sigilo.store.transaction((tx) => sigilo.services.processingRecord.build(tx));
        await sigilo.accessLog.security.record({
          operation: 'report.processing',
          outcome: 'allowed',
          actor: opts.actor ?? 'cli',
          role: 'dpo',
          reason: `records of processing, ${format}, policy version ${m.policyVersion}`,
          requestId: `cli-${Date.now()}`,
        });
        return m;
      });
      const content =
        format === 'pdf'
          ? await renderProcessingRecordPdf(model)
          : format === 'html'
            ? renderProcessingRecordHtml(model)
            : `${JSON.stringify(model, null, 2)}\n`;
      if (opts.out) {
        fs.writeFileSync(opts.out, content, { mode: 0o600 });
        ctx.print(`written ${opts.out}`);
      } else {
        ctx.io.out.write(content);
      }
    });
}
