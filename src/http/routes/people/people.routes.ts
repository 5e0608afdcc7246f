/** People (contacts and service users) with phones, e-mails, IP addresses and postal addresses. */
import { access } from '../../route-access.ts';
import type { FastifyPluginCallbackTypebox, Static } from '@fastify/type-provider-typebox';
import type { ContactView, PersonView } from '../../../services/person.service.ts';
import { normaliseCnpj } from '../../../validation/cnpj.ts';
import { normaliseCpf } from '../../../validation/cpf.ts';
import { Created, NoContent, optText, PurposeHeaders, responses } from '../common.schema.ts';
import { gated, type RouteDeps } from '../gated.ts';
import {
  ContactParams,
  NewAddressBody,
  NewContactBody,
  NewPersonBody,
  Person,
  PersonList,
  PersonLookupBody,
  PersonParams,
  RenameBody,
} from './people.schema.ts';

export const peopleRoutes: FastifyPluginCallbackTypebox<RouteDeps> = (app, deps, done) => {
  const { people } = deps.services;

  app.post(
    '/people',
    {
      config: { access: [access('write', 'name')] },
      schema: {
        tags: ['people'],
        summary: 'Create a person (optionally linked to an account)',
        headers: PurposeHeaders,
        body: NewPersonBody,
        response: responses({ 201: Created }),
      },
    },
    async (request, reply) => {
      const { source, ...input } = request.body;
      const id = await gated(deps, request, (s) => people.create(s, input, source));
      return reply.code(201).send({ id });
    },
  );

  app.get(
    '/people/:personId',
    {
      config: { access: [access('read', 'name')] },
      schema: {
        tags: ['people'],
        summary: 'Read a person with every part your role and purpose may see',
        headers: PurposeHeaders,
        params: PersonParams,
        response: responses({ 200: Person }),
      },
    },
    async (request) =>
      presentPerson(await gated(deps, request, (s) => people.get(s, request.params.personId))),
  );

  app.post(
    '/people/lookup',
    {
      config: { access: [access('read', 'phone', 'name')] },
      schema: {
        tags: ['people'],
        summary: 'Find people by phone, e-mail, IP, CPF or CNPJ',
        description:
          'Exact match through the blind indexes (the value is normalised first: any phone writing works). The ' +
          'value goes in the body, not the URL, so it never lands in proxy or server access logs.',
        headers: PurposeHeaders,
        body: PersonLookupBody,
        response: responses({ 200: PersonList }),
      },
    },
    async (request) => {
      const q = request.body;
      const found = await gated(deps, request, (s) => {
        if (q.phone !== undefined) return people.findByContact(s, 'phone', q.phone);
        if (q.email !== undefined) return people.findByContact(s, 'email', q.email);
        if (q.ip !== undefined) return people.findByContact(s, 'ip', q.ip);
        if (q.cpf !== undefined) return people.findByTaxId(s, normaliseCpf(q.cpf, 'body.cpf'));
        return people.findByTaxId(s, normaliseCnpj(q.cnpj ?? '', 'body.cnpj'));
      });
      return { people: found.map(presentPerson) };
    },
  );

  app.patch(
    '/people/:personId',
    {
      config: { access: [access('write', 'name')] },
      schema: {
        tags: ['people'],
        summary: 'Rename a person',
        headers: PurposeHeaders,
        params: PersonParams,
        body: RenameBody,
        response: responses({ 204: NoContent }),
      },
    },
    async (request, reply) => {
      await gated(deps, request, (s) => people.rename(s, request.params.personId, request.body.name));
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/people/:personId/contacts',
    {
      config: { access: [access('write', 'phone')] },
      schema: {
        tags: ['people'],
        summary: 'Add a phone, e-mail or IP address',
        headers: PurposeHeaders,
        params: PersonParams,
        body: NewContactBody,
        response: responses({ 201: Created }),
      },
    },
    async (request, reply) => {
      const { kind, value, source } = request.body;
      const id = await gated(deps, request, (s) =>
        people.addContact(s, request.params.personId, kind, value, source),
      );
      return reply.code(201).send({ id });
    },
  );

  app.delete(
    '/people/:personId/contacts/:kind/:contactId',
    {
      config: { access: [access('delete', 'phone')] },
      schema: {
        tags: ['people'],
        summary: 'Remove a phone, e-mail or IP address',
        headers: PurposeHeaders,
        params: ContactParams,
        response: responses({ 204: NoContent }),
      },
    },
    async (request, reply) => {
      const { personId, kind, contactId } = request.params;
      await gated(deps, request, (s) => people.removeContact(s, personId, kind, contactId));
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/people/:personId/addresses',
    {
      config: { access: [access('write', 'postal_address')] },
      schema: {
        tags: ['people'],
        summary: 'Add a postal address',
        headers: PurposeHeaders,
        params: PersonParams,
        body: NewAddressBody,
        response: responses({ 201: Created }),
      },
    },
    async (request, reply) => {
      const { address, source } = request.body;
      const id = await gated(deps, request, (s) =>
        people.addAddress(s, request.params.personId, address, source),
      );
      return reply.code(201).send({ id });
    },
  );

  done();
};

const contacts = (list: ContactView[] | undefined) =>
  list?.map((c) => ({ id: c.id, value: optText(c.value) ?? '' }));

/** A person as the wire shows it (masked values are text). */
export function presentPerson(v: PersonView): Static<typeof Person> {
  return {
    ...v,
    name: optText(v.name),
    phones: contacts(v.phones),
    emails: contacts(v.emails),
    ipAddresses: contacts(v.ipAddresses),
  };
}
