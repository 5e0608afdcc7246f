import { readAccountLinks, writeAccountLink } from '../gate/account-links.ts';
import { SigiloError } from '../errors.ts';
import type { GateSession } from '../gate/gate.ts';
import { normaliseAddress } from '../validation/address.ts';
import { normaliseEmail } from '../validation/email.ts';
import { normaliseIp } from '../validation/ip.ts';
import { normalisePhone } from '../validation/phone.ts';
import { normaliseTaxId } from '../validation/tax-id.ts';
import { requireText } from '../validation/input.ts';
import { provenanceOf, type Provenance, type Source } from './provenance.ts';

export type ContactKind = 'phone' | 'email' | 'ip';
type ContactTable = 'phones' | 'emails' | 'ipAddresses';
const CONTACTS: Record<
  ContactKind,
  {
    table: ContactTable;
    category: string;
    view: 'phones' | 'emails' | 'ipAddresses';
    normalise: (v: string, path: string) => string;
  }
> = {
  phone: { table: 'phones', category: 'phone', view: 'phones', normalise: (v, p) => normalisePhone(v, p) },
  email: { table: 'emails', category: 'email', view: 'emails', normalise: normaliseEmail },
  ip: { table: 'ipAddresses', category: 'ip_address', view: 'ipAddresses', normalise: normaliseIp },
};

export interface NewPerson {
  name: string;
  phones?: string[];
  emails?: string[];
  ipAddresses?: string[];
  addresses?: unknown[];
  /** Links the person to an account at once. */
  account?: { id: string; relation: 'owner' | 'contact' | 'user' };
}

export interface ContactView {
  id: string;
  value: unknown;
}

export interface PersonView {
  id: string;
  name?: unknown;
  phones?: ContactView[];
  emails?: ContactView[];
  ipAddresses?: ContactView[];
  addresses?: { id: string; address: unknown }[];
  accounts: { accountId: string; relation: string }[];
  createdAt: string;
  provenance: Provenance;
}

/** People (contacts and service users) with their contact points and addresses. The person id is its subject id. */
export class PersonService {
  /** Validates every field first (nothing is stored when one is bad), then seals and stores them. */
  async create(s: GateSession, input: NewPerson, source: Source = 'contracting'): Promise<string> {
    const name = requireText(input.name, 'person.name');
    const contacts: [ContactKind, string][] = [
      ...(input.phones ?? []).map((v, i): [ContactKind, string] => [
        'phone',
        CONTACTS.phone.normalise(v, `person.phones[${i}]`),
      ]),
      ...(input.emails ?? []).map((v, i): [ContactKind, string] => [
        'email',
        CONTACTS.email.normalise(v, `person.emails[${i}]`),
      ]),
      ...(input.ipAddresses ?? []).map((v, i): [ContactKind, string] => [
        'ip',
        CONTACTS.ip.normalise(v, `person.ipAddresses[${i}]`),
      ]),
    ];
    const addresses = (input.addresses ?? []).map((a, i) => normaliseAddress(a, `person.addresses[${i}]`));
    if (input.account) {
      const exists = await s.tx
        .selectFrom('accounts')
        .select('id')
        .where('id', '=', input.account.id)
        .executeTakeFirst();
      if (!exists)
        throw new SigiloError('NOT_FOUND', 'account not found', {
          resource: 'account',
          path: 'person.account.id',
        });
    }

    const id = await s.newSubject('person');
    await s.insert('people', { id, subjectId: id, sealed: { name }, source });
    for (const [kind, value] of contacts) {
      await s.insert(CONTACTS[kind].table, {
        subjectId: id,
        plain: { person_id: id },
        sealed: { value },
        source,
      });
    }
    for (const address of addresses) {
      await s.insert('addresses', { subjectId: id, plain: { owner_id: id }, sealed: { address }, source });
    }
    if (input.account) await this.link(s, id, input.account.id, input.account.relation);
    return id;
  }

  /** Links a person to an account (not personal data in itself: both ids are pseudonymous). */
  async link(
    s: GateSession,
    personId: string,
    accountId: string,
    relation: 'owner' | 'contact' | 'user',
  ): Promise<void> {
    await writeAccountLink(s, {
      account_id: accountId,
      person_id: personId,
      relation,
      created_at: new Date().toISOString(),
    });
  }

  /** One person with every part this context may read (masked as the policy says). */
  async get(s: GateSession, id: string): Promise<PersonView> {
    const [view] = await this.load(s, [id]);
    if (!view) throw new SigiloError('NOT_FOUND', 'person not found', { resource: 'person' });
    return view;
  }

  /** Exact lookup by phone (any writing; normalised to E.164), e-mail or IP through the blind index. */
  async findByContact(s: GateSession, kind: ContactKind, value: string): Promise<PersonView[]> {
    const c = CONTACTS[kind];
    const normalised = c.normalise(value, kind);
    const hits = await s.find(c.table, { lookup: { field: 'value', value: normalised }, fields: [] });
    return this.load(s, [...new Set(hits.map((h) => h.plain.person_id as string))]);
  }

  /** People linked to the account(s) holding this CPF or CNPJ. */
  async findByTaxId(s: GateSession, taxId: string): Promise<PersonView[]> {
    const value = normaliseTaxId(taxId, 'taxId').value;
    const accounts = await s.find('accounts', { lookup: { field: 'taxId', value }, fields: [] });
    if (accounts.length === 0) return [];
    const links = await readAccountLinks(s, { accounts: accounts.map((a) => a.id) });
    return this.load(s, [...new Set(links.map((l) => l.person_id))]);
  }

  /** Changes the name. */
  async rename(s: GateSession, id: string, name: string): Promise<void> {
    const value = requireText(name, 'person.name');
    if (!(await s.update('people', id, { sealed: { name: value } }))) {
      throw new SigiloError('NOT_FOUND', 'person not found', { resource: 'person' });
    }
  }

  /** Adds a phone, e-mail or IP address; returns the contact point id. */
  async addContact(
    s: GateSession,
    personId: string,
    kind: ContactKind,
    value: string,
    source: Source = 'support_contact',
  ): Promise<string> {
    const normalised = CONTACTS[kind].normalise(value, kind);
    await this.assertExists(s, personId);
    return s.insert(CONTACTS[kind].table, {
      subjectId: personId,
      plain: { person_id: personId },
      sealed: { value: normalised },
      source,
    });
  }

  /** Removes one contact point of a person. */
  async removeContact(s: GateSession, personId: string, kind: ContactKind, contactId: string): Promise<void> {
    const n = await s.delete(CONTACTS[kind].table, { id: contactId, person_id: personId }, personId);
    if (n === 0) throw new SigiloError('NOT_FOUND', 'contact point not found', { resource: 'contact' });
  }

  /** Removes one postal address of a person. */
  async removeAddress(s: GateSession, personId: string, addressId: string): Promise<void> {
    const n = await s.delete('addresses', { id: addressId, owner_id: personId }, personId);
    if (n === 0) throw new SigiloError('NOT_FOUND', 'address not found', { resource: 'address' });
  }

  /** Adds a postal address; returns its id. */
  async addAddress(
    s: GateSession,
    personId: string,
    address: unknown,
    source: Source = 'support_contact',
  ): Promise<string> {
    const value = normaliseAddress(address, 'address');
    await this.assertExists(s, personId);
    return s.insert('addresses', {
      subjectId: personId,
      plain: { owner_id: personId },
      sealed: { address: value },
      source,
    });
  }

  private async assertExists(s: GateSession, personId: string): Promise<void> {
    const row = await s.tx.selectFrom('people').select('id').where('id', '=', personId).executeTakeFirst();
    if (!row) throw new SigiloError('NOT_FOUND', 'person not found', { resource: 'person' });
  }

  private async load(s: GateSession, ids: string[]): Promise<PersonView[]> {
    if (ids.length === 0) return [];
    const people = await s.find('people', {
      where: { id: ids },
      fields: s.may('name', 'read') ? ['name'] : [],
      ...(ids.length === 1 ? { subjectId: ids[0] } : {}),
    });
    const links = await readAccountLinks(s, { people: ids });
    const views = new Map<string, PersonView>();
    for (const p of people) {
      views.set(p.id, {
        id: p.id,
        ...(p.fields.name !== undefined ? { name: p.fields.name } : {}),
        accounts: links
          .filter((l) => l.person_id === p.id)
          .map((l) => ({ accountId: l.account_id, relation: l.relation })),
        createdAt: p.plain.created_at as string,
        provenance: provenanceOf(p.plain),
      });
    }
    const found = [...views.keys()];
    if (found.length === 0) return [];
    // Phones, e-mails and IP addresses share one table: one statement for all three.
    const contacts = Object.values(CONTACTS).filter((c) => s.may(c.category, 'read'));
    const byView = await s.findViews(
      contacts.map((c) => c.table),
      { where: { person_id: found }, orderBy: 'created_at' },
    );
    for (const c of contacts) {
      for (const r of byView.get(c.table) ?? []) {
        const v = views.get(r.plain.person_id as string);
        if (v) (v[c.view] ??= []).push({ id: r.id, value: r.fields.value });
      }
    }
    if (s.may('postal_address', 'read')) {
      const rows = await s.find('addresses', { where: { owner_id: found }, orderBy: 'created_at' });
      for (const r of rows) {
        const v = views.get(r.plain.owner_id as string);
        if (v) (v.addresses ??= []).push({ id: r.id, address: r.fields.address });
      }
    }
    return ids.map((id) => views.get(id)).filter((v): v is PersonView => v !== undefined);
  }
}
