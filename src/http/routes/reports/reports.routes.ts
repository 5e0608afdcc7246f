/**
 * The records of processing (LGPD Art. 37) for the DPO and the auditor:
 *   GET /reports/processing?format=json|html|pdf
 * Built from the policy in force and live counts (no personal value, no id); each generation is an entry of the
 * access log, like the auditor's reads of the log itself.
 */
import { Type, type FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import {
  renderProcessingRecordHtml,
  renderProcessingRecordPdf,
} from '../../../reports/processing-record.render.ts';
import { responses, StringEnum } from '../common.schema.ts';
import type { RouteDeps } from '../gated.ts';

const ReportQuery = Type.Object({ format: Type.Optional(StringEnum(['json', 'html', 'pdf'] as const)) });

export const reportRoutes: FastifyPluginCallbackTypebox<RouteDeps> = (app, { services }, done) => {
  app.get(
    '/reports/processing',
    {
      config: { duty: 'processing_record.read' },
      schema: {
        tags: ['reports'],
        summary: 'Records of processing (LGPD Art. 37): JSON (default), HTML or PDF in Portuguese',
        description:
          'Per category, purpose, legal basis and retention rule, from the policy in force with live counts of ' +
          'the records stored; the operators and the sharing outside the controller.',
        querystring: ReportQuery,
        response: responses({ 200: Type.Unsafe<Buffer | string>({ type: 'string', format: 'binary' }) }),
      },
    },
    async (request, reply) => {
      const model = await services.processingRecord.build();
      const format = request.query.format ?? 'json';
      await services.auditLog.record({
        operation: 'report.processing',
        outcome: 'allowed',
        actor: request.principal!.actor,
        role: request.principal!.role,
        reason: `records of processing, ${format}, policy version ${model.policyVersion}`,
        requestId: request.id,
      });
      const name = `registro-operacoes-tratamento-v${model.policyVersion}`;
      if (format === 'html') {
        return reply
          .type('text/html; charset=utf-8')
          .header('content-disposition', `inline; filename="${name}.html"`)
          .send(renderProcessingRecordHtml(model));
      }
      if (format === 'pdf') {
        return reply
          .type('application/pdf')
          .header('content-disposition', `attachment; filename="${name}.pdf"`)
          .send(await renderProcessingRecordPdf(model));
      }
      return reply.type('application/json; charset=utf-8').send(JSON.stringify(model));
    },
  );
  done();
};
