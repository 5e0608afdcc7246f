import { Type } from '@fastify/type-provider-typebox';
import { UFS } from '../../../validation/address.ts';
import { Id, Provenance, Source, StringEnum, Timestamp } from '../common.schema.ts';

const Name = Type.String({ minLength: 1, maxLength: 300 });
const Phone = Type.String({
  minLength: 1,
  maxLength: 40,
  description: 'Any writing; stored as E.164 (+55...).',
});
const Email = Type.String({ minLength: 3, maxLength: 254 });
const Ip = Type.String({ minLength: 2, maxLength: 45, description: 'IPv4 or IPv6.' });

export const PostalAddress = Type.Object(
  {
    street: Type.String({ minLength: 1, maxLength: 200 }),
    number: Type.String({ minLength: 1, maxLength: 20, description: 'House number or "S/N".' }),
    complement: Type.Optional(Type.String({ maxLength: 120 })),
    district: Type.Optional(Type.String({ maxLength: 100 })),
    city: Type.String({ minLength: 1, maxLength: 100 }),
    state: StringEnum(UFS, { description: 'UF (federative unit).' }),
    cep: Type.String({ minLength: 8, maxLength: 9, description: 'CEP, with or without the hyphen.' }),
  },
  { additionalProperties: false },
);

export const Relation = StringEnum(['owner', 'contact', 'user'] as const);
export const ContactKind = StringEnum(['phone', 'email', 'ip'] as const);

export const NewPersonBody = Type.Object(
  {
    name: Name,
    phones: Type.Optional(Type.Array(Phone, { maxItems: 20 })),
    emails: Type.Optional(Type.Array(Email, { maxItems: 20 })),
    ipAddresses: Type.Optional(Type.Array(Ip, { maxItems: 50 })),
    addresses: Type.Optional(Type.Array(PostalAddress, { maxItems: 10 })),
    account: Type.Optional(Type.Object({ id: Id, relation: Relation }, { additionalProperties: false })),
    source: Type.Optional(Source),
  },
  { additionalProperties: false },
);

export const PersonLookupBody = Type.Object(
  {
    phone: Type.Optional(Phone),
    email: Type.Optional(Email),
    ip: Type.Optional(Ip),
    cpf: Type.Optional(Type.String({ minLength: 11, maxLength: 14 })),
    cnpj: Type.Optional(Type.String({ minLength: 14, maxLength: 18 })),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    maxProperties: 1,
    description:
      'Exactly one of phone, email, ip, cpf or cnpj (a CPF or CNPJ finds the people of that account).',
  },
);

export const PersonParams = Type.Object({ personId: Id });
export const ContactParams = Type.Object({ personId: Id, kind: ContactKind, contactId: Id });

export const RenameBody = Type.Object({ name: Name }, { additionalProperties: false });

export const NewContactBody = Type.Object(
  {
    kind: ContactKind,
    value: Type.String({ minLength: 1, maxLength: 254 }),
    source: Type.Optional(Source),
  },
  { additionalProperties: false },
);

export const NewAddressBody = Type.Object(
  { address: PostalAddress, source: Type.Optional(Source) },
  { additionalProperties: false },
);

const Contact = Type.Object({ id: Id, value: Type.String({ description: 'Masked as the policy says.' }) });

export const Person = Type.Object({
  id: Id,
  name: Type.Optional(Type.String({ description: 'Masked as the policy says for your role and purpose.' })),
  phones: Type.Optional(Type.Array(Contact)),
  emails: Type.Optional(Type.Array(Contact)),
  ipAddresses: Type.Optional(Type.Array(Contact)),
  addresses: Type.Optional(
    Type.Array(
      Type.Object({
        id: Id,
        address: Type.Unknown({ description: 'The address, or a masked text when the policy masks it.' }),
      }),
    ),
  ),
  accounts: Type.Array(Type.Object({ accountId: Id, relation: Type.String() })),
  createdAt: Timestamp,
  provenance: Provenance,
});

export const PersonList = Type.Object({ people: Type.Array(Person) });
