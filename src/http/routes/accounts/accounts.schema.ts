import { Type } from '@fastify/type-provider-typebox';
import { Id, Provenance, Source, StringEnum, Timestamp } from '../common.schema.ts';

const TaxId = Type.String({
  minLength: 11,
  maxLength: 20,
  description: 'CPF (individual) or CNPJ (company, numeric or alphanumeric), with or without punctuation.',
});

export const NewAccountBody = Type.Object(
  {
    kind: StringEnum(['company', 'individual'] as const),
    name: Type.String({ minLength: 1, maxLength: 300, description: 'Legal name of the customer.' }),
    taxId: TaxId,
    source: Type.Optional(Source),
  },
  { additionalProperties: false },
);

export const AccountLookupBody = Type.Object({ taxId: TaxId }, { additionalProperties: false });

export const AccountParams = Type.Object({ accountId: Id });

export const Account = Type.Object({
  id: Id,
  kind: StringEnum(['company', 'individual'] as const),
  status: StringEnum(['active', 'closed'] as const),
  name: Type.Optional(Type.String({ description: 'Masked as the policy says for your role and purpose.' })),
  taxId: Type.Optional(Type.String({ description: 'Masked as the policy says for your role and purpose.' })),
  createdAt: Timestamp,
  provenance: Provenance,
});

export const AccountList = Type.Object({ accounts: Type.Array(Account) });
