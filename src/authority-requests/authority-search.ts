/**
 * The objective search of an approved authority request: for each target, only the categories the order covers,
 * only inside its window. Numbers are matched exactly (blind index and term filters, then the decrypted record), so
 * a look-alike number is never returned. Every read goes through the gate under purpose `authority_order`.
 *
 * What exists to be searched (SPEC §7 vs the data model):
 * - call records by number (caller or callee, every account), by account, by CPF/CNPJ (the holder's accounts);
 * - connection records and access records by IP + port + instant (CGNAT), by account, by CPF/CNPJ;
 * - cadastral data (name, CPF/CNPJ, postal address) of the account or person holding a number, CPF/CNPJ or account;
 * - content: Sigilo holds no communication content (only support-call recordings, which no order type reaches).
 */
import type { GateSession } from '../gate/gate.ts';
import type { RecordQueryService, Window } from '../telecom/query/record-query.service.ts';
import type { TelecomKind, TelecomRecord } from '../telecom/records/telecom-record.ts';
import type { Target } from './authority-request.rules.ts';

/** What was found in one category. */
export interface CategoryResult {
  category: string;
  /** Records or cadastral entries, in time order for records. */
  rows: Record<string, unknown>[];
}

/** One target × category combination and how many items it found. */
export interface SearchedItem {
  target: number;
  category: string;
  found: number;
  /** Why nothing could be searched for this combination, when that is the case. */
  note?: string;
}

export interface SearchResult {
  categories: CategoryResult[];
  searched: SearchedItem[];
}

const RECORD_KINDS: Record<string, TelecomKind> = {
  call_record: 'cdr',
  connection_record: 'connection',
  access_record: 'access',
};
const CADASTRAL = new Set(['name', 'tax_id', 'postal_address']);
const PAGE = 1000;

/** What an approved request asks for. */
export interface SearchScope {
  targets: Target[];
  categories: string[];
  window: { from: string | null; to: string | null };
}

/** Runs authority searches inside a gate session. */
export class AuthoritySearch {
  constructor(private readonly query: RecordQueryService) {}

  /** Searches every target in every covered category; `onFirst` fires when the first item is found. */
  async run(s: GateSession, scope: SearchScope, onFirst?: () => void): Promise<SearchResult> {
    const byCategory = new Map<string, Map<string, Record<string, unknown>>>();
    for (const c of scope.categories) byCategory.set(c, new Map());
    const searched: SearchedItem[] = [];
    let first = false;
    const add = (category: string, key: string, row: Record<string, unknown>): void => {
      if (!first) {
        first = true;
        onFirst?.();
      }
      byCategory.get(category)!.set(key, row);
    };
    const window: Window = {
      ...(scope.window.from ? { from: scope.window.from } : {}),
      ...(scope.window.to ? { to: scope.window.to } : {}),
    };

    for (const [i, target] of scope.targets.entries()) {
      for (const category of scope.categories) {
        let found = 0;
        let note: string | undefined;
        const kind = RECORD_KINDS[category];
        if (kind) {
          const records = await this.records(s, target, kind, window);
          if (records === null) note = 'not_applicable';
          else
            for (const r of records)
              add(category, `${r.kind}:${r.key}`, r as unknown as Record<string, unknown>);
          found = records?.length ?? 0;
        } else if (CADASTRAL.has(category)) {
          const rows = await this.cadastral(s, target, category);
          if (rows === null) note = 'not_applicable';
          else for (const r of rows) add(category, String(r.id), r);
          found = rows?.length ?? 0;
        } else {
          note = 'not_held';
        }
        searched.push({ target: i, category, found, ...(note ? { note } : {}) });
      }
    }
    return {
      categories: [...byCategory].map(([category, rows]) => ({
        category,
        rows: sortRows([...rows.values()]),
      })),
      searched,
    };
  }

  /** Records of `kind` for one target; null when the target kind cannot name such records. */
  private async records(
    s: GateSession,
    t: Target,
    kind: TelecomKind,
    w: Window,
  ): Promise<TelecomRecord[] | null> {
    if (t.kind === 'number') {
      if (kind !== 'cdr') return null;
      return this.allPages((cursor) => this.query.searchByNumber(s, t.value, w, PAGE, cursor));
    }
    if (t.kind === 'ip') {
      if (kind === 'cdr') return null;
      const page = await this.query.searchByIpPort(s, t.ip, t.port, t.at, PAGE);
      return page.records.filter((r) => r.kind === kind);
    }
    const accounts = t.kind === 'account' ? [t.id] : await this.accountsByTaxId(s, t.value);
    const out: TelecomRecord[] = [];
    for (const accountId of accounts) {
      out.push(
        ...(await this.allPages((cursor) => this.query.accountHistory(s, kind, accountId, w, PAGE, cursor))),
      );
    }
    return out;
  }

  private async allPages(
    next: (cursor: string | undefined) => Promise<{ records: TelecomRecord[]; next: string | null }>,
  ): Promise<TelecomRecord[]> {
    const out: TelecomRecord[] = [];
    let cursor: string | undefined;
    do {
      const page = await next(cursor);
      out.push(...page.records);
      cursor = page.next ?? undefined;
    } while (cursor);
    return out;
  }

  private async accountsByTaxId(s: GateSession, taxId: string): Promise<string[]> {
    const rows = await s.find('accounts', { lookup: { field: 'taxId', value: taxId }, fields: [] });
    return rows.map((r) => r.id);
  }

  /**
   * Cadastral entries of one category for a target: the account or person that holds it. Only the field of that
   * category is opened, so a request for names never reads an address.
   */
  private async cadastral(
    s: GateSession,
    t: Target,
    category: string,
  ): Promise<Record<string, unknown>[] | null> {
    if (t.kind === 'ip') return null;
    const accounts: string[] = [];
    const people: string[] = [];
    if (t.kind === 'account') accounts.push(t.id);
    if (t.kind === 'tax_id') accounts.push(...(await this.accountsByTaxId(s, t.value)));
    if (t.kind === 'number') {
      const phones = await s.find('phones', { lookup: { field: 'value', value: t.value }, fields: [] });
      people.push(...new Set(phones.map((p) => p.plain.person_id as string)));
    }
    const out: Record<string, unknown>[] = [];
    if (category === 'name' || category === 'tax_id') {
      const field = category === 'name' ? 'name' : 'taxId';
      for (const id of accounts) {
        const [a] = await s.find('accounts', { where: { id }, subjectId: id, fields: [field] });
        if (a) out.push({ id: a.id, holder: 'account', kind: a.plain.kind, [field]: a.fields[field] });
      }
      if (category === 'name') {
        for (const id of people) {
          const [p] = await s.find('people', { where: { id }, subjectId: id, fields: ['name'] });
          if (p) out.push({ id: p.id, holder: 'person', name: p.fields.name });
        }
      }
    }
    if (category === 'postal_address') {
      for (const owner of [...accounts, ...people]) {
        for (const a of await s.find('addresses', {
          where: { owner_id: owner },
          subjectId: owner,
          fields: ['address'],
        })) {
          out.push({
            id: a.id,
            holder: accounts.includes(owner) ? 'account' : 'person',
            ownerId: owner,
            address: a.fields.address,
          });
        }
      }
    }
    return out;
  }
}

function sortRows(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  const at = (r: Record<string, unknown>): string => {
    const v = r.startedAt ?? r.at ?? r.periodStart ?? r.id;
    return typeof v === 'string' ? v : '';
  };
  return rows.sort((a, b) => (at(a) < at(b) ? -1 : at(a) > at(b) ? 1 : 0));
}
