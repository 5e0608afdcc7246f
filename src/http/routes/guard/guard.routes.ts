/**
 * The DPO's review queue of free text held by the sensitive-data guard: list, then approve (release as written),
 * redact (replace the findings) or delete. Every decision runs through the gate and is in the access log.
 */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { NoContent, PurposeHeaders, responses } from '../common.schema.ts';
import { gated, type RouteDeps } from '../gated.ts';
import { QuarantineList, QuarantineParams, QuarantineQuery } from './guard.schema.ts';
import { access } from '../../route-access.ts';

const REVIEW = { duty: 'quarantine.review' } as const;
/** What each decision asks of the held text's category (the service asks the same before it looks the item up). */
const DECISION_ACCESS = {
  approve: [access('write', 'support_ticket')],
  redact: [access('read', 'support_ticket'), access('write', 'support_ticket')],
  delete: [access('delete', 'support_ticket')],
} as const;
const DECISIONS = {
  approve: 'Release the held text as written',
  redact: 'Replace every finding in the held text with a mark naming its class, then release it',
  delete: 'Delete the held message (a held title is replaced by a fixed mark)',
} as const;

export const guardRoutes: FastifyPluginCallbackTypebox<RouteDeps> = (app, deps, done) => {
  const quarantine = deps.services.guardQuarantine;

  app.get(
    '/guard/quarantine',
    {
      config: { ...REVIEW, access: [access('read', 'support_ticket')] },
      schema: {
        tags: ['guard'],
        summary: 'Free text held for DPO review (ids and classes, never the text)',
        headers: PurposeHeaders,
        querystring: QuarantineQuery,
        response: responses({ 200: QuarantineList }),
      },
    },
    async (request) => ({
      items: await gated(deps, request, (s) => quarantine.list(s, request.query.limit)),
    }),
  );

  for (const decision of Object.keys(DECISIONS) as (keyof typeof DECISIONS)[]) {
    app.post(
      `/guard/quarantine/:kind/:id/${decision}`,
      {
        config: { ...REVIEW, access: DECISION_ACCESS[decision] },
        schema: {
          tags: ['guard'],
          summary: DECISIONS[decision],
          headers: PurposeHeaders,
          params: QuarantineParams,
          response: responses({ 204: NoContent }),
        },
      },
      async (request, reply) => {
        const { kind, id } = request.params;
        await gated(deps, request, (s) => quarantine[decision](s, kind, id));
        return reply.code(204).send(null);
      },
    );
  }

  done();
};
