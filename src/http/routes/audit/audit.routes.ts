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

const AUDITOR = { roles: ['auditor'] } as const;

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
    () => services.auditLog.verify(),
  );

  done();
};

function present(e: ChainedEntry): Static<typeof AuditEntry> {
  const { prevHash: _prev, hash, ...rest } = e;
  return { ...rest, hash: hash.toString('hex') };
}
