/**
 * HTTP adapter of the security-incident register (mounted under /v1), DPO role, purpose `legal_obligation`:
 *   POST /incidents                          record an incident (free text guarded, then sealed)
 *   GET  /incidents?limit                    the register, newest first (plain facts only)
 *   GET  /incidents/affected?kekVersion=N    subjects whose data keys a master-key version wraps (counts)
 *   GET  /incidents/:id                      one incident with its free text
 *   POST /incidents/:id/communications       the ANPD or the subjects were told (late: reasons required)
 *   GET  /incidents/:id/drafts               drafts of both communications (Res. CD/ANPD 15/2024 Arts. 6 and 9)
 * Validate → authenticate (the route's policy duty) → gate.run(service) → present. Every call is in the access log.
 */
import { Type, type FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { gated, type RouteDeps } from '../http/routes/gated.ts';
import { PurposeHeaders, responses, StringEnum, Timestamp } from '../http/routes/common.schema.ts';
import { access } from '../http/route-access.ts';

/** Roles that keep the register (the policy still decides per purpose and category). */

const FreeText = (description: string) => Type.String({ minLength: 1, maxLength: 20_000, description });
const NewIncident = Type.Object(
  {
    knownAt: Type.String({
      maxLength: 40,
      description: 'When the controller learned that personal data were affected (starts the deadline).',
    }),
    occurredAt: Type.Optional(Type.Union([Type.String({ maxLength: 40 }), Type.Null()])),
    description: FreeText('What happened and its main cause. Guarded like ticket text, then sealed.'),
    categories: Type.Array(Type.String({ maxLength: 64 }), { minItems: 1, maxItems: 50 }),
    leakedKeyVersion: Type.Optional(
      Type.Integer({
        minimum: 1,
        description:
          'The master-key version that leaked: the affected subjects are computed from the data keys.',
      }),
    ),
    affectedSubjects: Type.Optional(Type.Integer({ minimum: 0, description: 'When it cannot be computed.' })),
    measures: Type.Optional(FreeText('Security measures before and after, and to mitigate the effects.')),
    risks: Type.Optional(FreeText('Risks and possible impacts on the subjects.')),
    delayReason: Type.Optional(FreeText('Reasons for a late communication.')),
  },
  { additionalProperties: false },
);
const Summary = {
  id: Type.String(),
  state: StringEnum(['open', 'communicated', 'closed'] as const),
  occurredAt: Type.Union([Timestamp, Type.Null()]),
  knownAt: Timestamp,
  categories: Type.Array(Type.String()),
  affectedSubjects: Type.Integer(),
  affectedBasis: StringEnum(['key_version', 'declared'] as const),
  leakedKeyVersion: Type.Union([Type.Integer(), Type.Null()]),
  communicationDueAt: Timestamp,
  communicationDueDate: Type.String({ description: 'The last business day, in Brasília.' }),
  anpdCommunicatedAt: Type.Union([Timestamp, Type.Null()]),
  subjectsCommunicatedAt: Type.Union([Timestamp, Type.Null()]),
  overdue: Type.Boolean(),
  createdBy: Type.String(),
  createdAt: Timestamp,
  policyVersion: Type.Integer(),
};
const IncidentSummary = Type.Object(Summary, { additionalProperties: false });
const NullableText = Type.Union([Type.String(), Type.Null()]);
const IncidentView = Type.Object(
  {
    ...Summary,
    description: NullableText,
    measures: NullableText,
    risks: NullableText,
    delayReason: NullableText,
  },
  { additionalProperties: false },
);
const Draft = Type.Object({
  to: StringEnum(['anpd', 'subjects'] as const),
  basis: Type.String(),
  title: Type.String(),
  items: Type.Array(Type.Object({ key: Type.String(), label: Type.String(), text: Type.String() })),
  text: Type.String(),
});
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });
const Communication = Type.Object(
  {
    to: StringEnum(['anpd', 'subjects'] as const),
    at: Type.Optional(Type.String({ maxLength: 40, description: 'When it was sent; default now.' })),
    delayReason: Type.Optional(FreeText('Required when the communication is past its deadline.')),
  },
  { additionalProperties: false },
);

export const incidentRoutes: FastifyPluginCallbackTypebox<RouteDeps> = (app, deps, done) => {
  const svc = deps.services.incidents;
  const config = { duty: 'incident.manage' } as const;
  const tags = ['incidents'];

  app.post(
    '/incidents',
    {
      config: { ...config, access: [access('write', 'security_incident')] },
      schema: {
        tags,
        summary: 'Record a security incident (Res. CD/ANPD 15/2024)',
        headers: PurposeHeaders,
        body: NewIncident,
        response: responses({ 201: IncidentView }),
      },
    },
    async (request, reply) => {
      const b = request.body;
      const view = await gated(deps, request, (s) =>
        svc.record(s, {
          knownAt: b.knownAt,
          occurredAt: b.occurredAt ?? null,
          description: b.description,
          categories: b.categories,
          ...(b.leakedKeyVersion !== undefined ? { leakedKeyVersion: b.leakedKeyVersion } : {}),
          ...(b.affectedSubjects !== undefined ? { affectedSubjects: b.affectedSubjects } : {}),
          ...(b.measures !== undefined ? { measures: b.measures } : {}),
          ...(b.risks !== undefined ? { risks: b.risks } : {}),
          ...(b.delayReason !== undefined ? { delayReason: b.delayReason } : {}),
        }),
      );
      return reply.code(201).send(view);
    },
  );

  app.get(
    '/incidents',
    {
      config: { ...config, access: [access('read', 'security_incident')] },
      schema: {
        tags,
        summary: 'The incident register, newest first (no free text)',
        headers: PurposeHeaders,
        querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) }),
        response: responses({ 200: Type.Object({ incidents: Type.Array(IncidentSummary) }) }),
      },
    },
    async (request) => ({
      incidents: await gated(deps, request, (s) => svc.list(s, request.query.limit ?? 100)),
    }),
  );

  app.get(
    '/incidents/affected',
    {
      config: { ...config, access: [] },
      schema: {
        tags,
        summary: 'How many subjects a leaked master-key version exposes (counts only)',
        headers: PurposeHeaders,
        querystring: Type.Object({ kekVersion: Type.Integer({ minimum: 1 }) }),
        response: responses({
          200: Type.Object({
            kekVersion: Type.Integer(),
            subjects: Type.Integer(),
            accounts: Type.Integer(),
            people: Type.Integer(),
          }),
        }),
      },
    },
    async (request) => gated(deps, request, (s) => svc.affectedByKeyVersion(s, request.query.kekVersion)),
  );

  app.get(
    '/incidents/:id',
    {
      config: { ...config, access: [access('read', 'security_incident')] },
      schema: {
        tags,
        summary: 'One incident with its free text',
        headers: PurposeHeaders,
        params: IdParams,
        response: responses({ 200: IncidentView }),
      },
    },
    async (request) => gated(deps, request, (s) => svc.get(s, request.params.id)),
  );

  app.post(
    '/incidents/:id/communications',
    {
      config: { ...config, access: [access('read', 'security_incident')] },
      schema: {
        tags,
        summary: 'Record that the ANPD or the subjects were told',
        headers: PurposeHeaders,
        params: IdParams,
        body: Communication,
        response: responses({ 200: IncidentView }),
      },
    },
    async (request) =>
      gated(deps, request, (s) =>
        svc.communicated(s, request.params.id, request.body.to, {
          ...(request.body.at ? { at: request.body.at } : {}),
          ...(request.body.delayReason ? { delayReason: request.body.delayReason } : {}),
        }),
      ),
  );

  app.get(
    '/incidents/:id/drafts',
    {
      config: { ...config, access: [access('read', 'security_incident')] },
      schema: {
        tags,
        summary: 'Drafts of the communications to the ANPD (Art. 6) and to the subjects (Art. 9), pt-BR',
        headers: PurposeHeaders,
        params: IdParams,
        response: responses({ 200: Type.Object({ anpd: Draft, subjects: Draft }) }),
      },
    },
    async (request) => {
      const { anpd, subjects } = await gated(deps, request, (s) => svc.drafts(s, request.params.id));
      return { anpd, subjects };
    },
  );

  done();
};
