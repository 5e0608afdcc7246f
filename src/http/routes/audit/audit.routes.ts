/**
 * The access log for the auditor role: who accessed what category of whose (pseudonymous) record, when, why
 * and with what outcome. Entries hold subject ids and categories, never personal values.
 */
import type { FastifyPluginCallbackTypebox, Static } from '@fastify/type-provider-typebox';
import type { ChainedEntry } from '../../../access-log/access-log.entry.ts';
import { responses } from '../common.schema.ts';
import type { RouteDeps } from '../gated.ts';
import type { AuditEntry } from './audit.schema.ts';
import { AuditLogPage, AuditLogQuery, VerifyReport } from './audit.schema.ts';

const AUDITOR = { duty: 'audit_log.read' } as const;

export const auditRoutes: FastifyPluginCallbackTypebox<RouteDeps> = (app, { services }, done) => {
  app.get(
    '/audit/log',
    {
      config: AUDITOR,
      schema: {
        tags: ['audit'],
        summary: 'Read the access log in chain order (or one subject, newest first)',
        querystring: AuditLogQuery,
        response: responses({ 200: AuditLogPage }),
      },
    },
    async (request) => {
      const { afterSeq = 0, limit = 100, subjectId } = request.query;
      const { auditLog } = services;
      const entries = subjectId
        ? await auditLog.forSubject(subjectId, limit)
        : await auditLog.page(afterSeq, limit);
      // The auditor's reads are entries too: the data subject sees who looked at their entries.
      await auditLog.record({
        operation: 'audit.read_log',
        outcome: 'allowed',
        actor: request.principal!.actor,
        role: request.principal!.role,
        subjectId: subjectId ?? null,
        reason: subjectId
          ? `entries of one subject, ${entries.length} read`
          : `entries after seq ${afterSeq}, ${entries.length} read`,
        requestId: request.id,
      });
      const last = entries.at(-1);
      return {
        entries: entries.map(present),
        nextAfterSeq: !subjectId && last && entries.length === limit ? last.seq : null,
      };
    },
  );

  app.get(
    '/audit/verify',
    {
      config: AUDITOR,
      schema: {
        tags: ['audit'],
        summary: 'Verify the hash chain and signed checkpoints; names the first broken entry',
        response: responses({ 200: VerifyReport }),
      },
    },
    async (request) => {
      const report = await services.auditLog.verify();
      await services.auditLog.record({
        operation: 'audit.verify',
        outcome: report.ok ? 'allowed' : 'error',
        actor: request.principal!.actor,
        role: request.principal!.role,
        reason: report.ok
          ? `${report.entries} entries verified`
          : `broken at seq ${report.firstBroken?.seq ?? 0}`,
        requestId: request.id,
      });
      return report;
    },
  );

  done();
};

function present(e: ChainedEntry): Static<typeof AuditEntry> {
  const { prevHash: _prev, keyVersion: _version, linkFormat: _format, hash, ...rest } = e;
  return { ...rest, hash: hash.toString('hex') };
}
