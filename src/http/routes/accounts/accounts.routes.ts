/** Accounts: the contracting customers (company with CNPJ or person with CPF). */
import type { FastifyPluginCallbackTypebox, Static } from '@fastify/type-provider-typebox';
import type { AccountView } from '../../../services/account.service.ts';
import { Created, optText, PurposeHeaders, responses } from '../common.schema.ts';
import { gated, type RouteDeps } from '../gated.ts';
import { Account, AccountList, AccountLookupBody, AccountParams, NewAccountBody } from './accounts.schema.ts';
import { access, anyOf } from '../../route-access.ts';

export const accountRoutes: FastifyPluginCallbackTypebox<RouteDeps> = (app, deps, done) => {
  const { accounts } = deps.services;

  app.post(
    '/accounts',
    {
      config: { access: [access('write', 'name', 'tax_id')] },
      schema: {
        tags: ['accounts'],
        summary: 'Create an account',
        headers: PurposeHeaders,
        body: NewAccountBody,
        response: responses({ 201: Created }),
      },
    },
    async (request, reply) => {
      const { source, ...input } = request.body;
      const id = await gated(deps, request, (s) => accounts.create(s, input, source));
      return reply.code(201).send({ id });
    },
  );

  app.get(
    '/accounts/:accountId',
    {
      config: { access: [anyOf('read', 'name', 'tax_id')] },
      schema: {
        tags: ['accounts'],
        summary: 'Read an account',
        headers: PurposeHeaders,
        params: AccountParams,
        response: responses({ 200: Account }),
      },
    },
    async (request) =>
      presentAccount(await gated(deps, request, (s) => accounts.get(s, request.params.accountId))),
  );

  app.post(
    '/accounts/lookup',
    {
      config: { access: [access('read', 'tax_id')] },
      schema: {
        tags: ['accounts'],
        summary: 'Find accounts by CPF or CNPJ',
        description:
          'Exact match through the blind index. The document goes in the body, not the URL, so it never lands in ' +
          'proxy or server access logs.',
        headers: PurposeHeaders,
        body: AccountLookupBody,
        response: responses({ 200: AccountList }),
      },
    },
    async (request) => ({
      accounts: (await gated(deps, request, (s) => accounts.findByTaxId(s, request.body.taxId))).map(
        presentAccount,
      ),
    }),
  );

  done();
};

/** An account as the wire shows it (masked values are text). */
export function presentAccount(v: AccountView): Static<typeof Account> {
  return { ...v, name: optText(v.name), taxId: optText(v.taxId) };
}
