/**
 * Reading telecom records: an account's or a person's history in a time window (support, billing), authority
 * searches by number or by IP + port + instant (authority_order only), and streaming export. Every read goes
 * through the gate extension, which checks the policy, masks third-party numbers and logs the access.
 */
import { readAccountLinks } from '../../gate/account-links.ts';
import TinyQueue from 'tinyqueue';
import { SigiloError } from '../../errors.ts';
import type { GateSession } from '../../gate/gate.ts';
import {
  comparePositions,
  readTelecomRecords,
  type PositionedRecord,
  type RecordPosition,
} from '../sealing/telecom-records.gate.ts';
import { normaliseIp } from '../../validation/ip.ts';
import { normalisePhone } from '../../validation/phone.ts';
import { fastNumber } from '../records/number-normaliser.ts';
import type {
  ConnectionRecord,
  AccessRecord,
  TelecomKind,
  TelecomRecord,
} from '../records/telecom-record.ts';

export const PAGE_MAX = 1000;

export interface Window {
  from?: string;
  to?: string;
}

export interface Page<T> {
  /** In time order, oldest first (records of the same instant in the order they are stored). */
  records: T[];
  /** Opaque cursor for the next page (the position of this page's last record), null at the end. */
  next: string | null;
}

/** Queries over sealed telecom segments. */
export class RecordQueryService {
  /** One page of an account's records of `kind` in the window, in time order. */
  async accountHistory(
    s: GateSession,
    kind: TelecomKind,
    accountId: string,
    w: Window,
    limit = 100,
    cursor?: string,
  ): Promise<Page<TelecomRecord>> {
    assertWindow(w);
    const after = decodeCursor(cursor);
    return page(readTelecomRecords(s, kind, { accountId, ...w, ...after }), limit);
  }

  /** A person's calls, in time order: records of their accounts that involve one of their phone numbers. */
  async personCalls(
    s: GateSession,
    personId: string,
    w: Window,
    limit = 100,
    cursor?: string,
  ): Promise<Page<TelecomRecord>> {
    assertWindow(w);
    const phones = await s.find('phones', { where: { person_id: personId }, subjectId: personId });
    const links = await readAccountLinks(s, { people: [personId] });
    const after = decodeCursor(cursor);
    // One ordered read per account and phone, merged; a call between two of the person's numbers is one record.
    const reads = links.flatMap((l) =>
      phones.map((p) =>
        readTelecomRecords(s, 'cdr', {
          accountId: l.account_id,
          person: personId,
          ...w,
          ...after,
          terms: [{ kind: 'number', value: String(p.fields.value) }],
        }),
      ),
    );
    return page(mergeOrdered(reads), limit);
  }

  /** Authority search: every record holding a number, across accounts (purpose authority_order only). */
  async searchByNumber(
    s: GateSession,
    number: string,
    w: Window,
    limit = 100,
    cursor?: string,
  ): Promise<Page<TelecomRecord>> {
    assertWindow(w, true);
    const value = number.startsWith('+') ? normalisePhone(number, 'number') : fastNumber(number);
    const after = decodeCursor(cursor);
    return page(readTelecomRecords(s, 'cdr', { ...w, ...after, terms: [{ kind: 'number', value }] }), limit);
  }

  /**
   * Authority search for CGNAT attribution: who used this public IP and port at this instant. Looks at
   * connection records (session active at the instant, port inside the session's range) and access records.
   */
  async searchByIpPort(
    s: GateSession,
    ip: string,
    port: number | null,
    instant: string,
    limit = 100,
  ): Promise<Page<ConnectionRecord | AccessRecord>> {
    const out: (ConnectionRecord | AccessRecord)[] = [];
    for (const kind of ['connection', 'access'] as const) {
      for await (const { record: r } of this.ipPortHits(s, kind, ip, port, instant)) {
        if (out.length >= limit) break;
        out.push(r as ConnectionRecord | AccessRecord);
      }
    }
    return { records: out, next: null };
  }

  /**
   * The accounts whose records of `kind` (connection or access) show this IP and port in use at this instant:
   * what a preservation request by IP + port + instant holds (issue 16). The records are read through the gate
   * (authorized and logged as reads, like the search); the account of each matching segment is a plain column.
   */
  async accountsAtIpPort(
    s: GateSession,
    kind: 'connection' | 'access',
    ip: string,
    port: number | null,
    instant: string,
  ): Promise<string[]> {
    const segments = new Set<string>();
    for await (const { segment } of this.ipPortHits(s, kind, ip, port, instant)) segments.add(segment);
    if (segments.size === 0) return [];
    const rows = await s.tx
      .selectFrom('telecom_segments')
      .select('account_id')
      .distinct()
      .where('id', 'in', [...segments])
      .execute();
    return rows.map((r) => r.account_id).sort();
  }

  /** Records of `kind` matching an IP, port and instant (connection: the session spans it; access: ±1 min). */
  private ipPortHits(
    s: GateSession,
    kind: 'connection' | 'access',
    ip: string,
    port: number | null,
    instant: string,
  ): AsyncGenerator<PositionedRecord> {
    const value = normaliseIp(ip, 'ip');
    const at = Date.parse(instant);
    if (Number.isNaN(at))
      throw new SigiloError('VALIDATION_FAILED', 'instant must be an ISO-8601 date-time', {
        path: 'instant',
      });
    if (port !== null && (!Number.isInteger(port) || port < 0 || port > 65535)) {
      throw new SigiloError('VALIDATION_FAILED', 'port must be 0 to 65535', { path: 'port' });
    }
    const window = ipPortWindow(kind, instant);
    const inPorts = (lo: number | null, hi: number | null): boolean =>
      port === null || lo === null || (port >= lo && port <= (hi ?? lo));
    if (kind === 'connection')
      return readTelecomRecords(s, 'connection', {
        ...window,
        terms: [{ kind: 'ip', value }],
        where: (r) =>
          r.kind === 'connection' &&
          Date.parse(r.startedAt) <= at &&
          (r.stoppedAt === null || Date.parse(r.stoppedAt) >= at) &&
          inPorts(r.portStart, r.portEnd),
      });
    return readTelecomRecords(s, 'access', {
      ...window,
      terms: [{ kind: 'ip', value }],
      where: (r) => r.kind === 'access' && (port === null || r.port === null || r.port === port),
    });
  }

  /** Every record of one account and kind, as objects (a subject's export serialises them itself). */
  async *accountRecords(
    s: GateSession,
    kind: TelecomKind,
    accountId: string,
    w: Window,
  ): AsyncGenerator<TelecomRecord> {
    assertWindow(w);
    for await (const { record } of readTelecomRecords(s, kind, { accountId, ...w }, 'export')) yield record;
  }

  /** Streams an account's records as NDJSON or CSV lines (export operation; never buffers the whole result). */
  async *exportAccount(
    s: GateSession,
    kind: TelecomKind,
    accountId: string,
    w: Window,
    format: 'ndjson' | 'csv',
  ): AsyncGenerator<string> {
    assertWindow(w);
    let header: string[] | null = null;
    for await (const { record: r } of readTelecomRecords(s, kind, { accountId, ...w }, 'export')) {
      if (format === 'ndjson') {
        yield `${JSON.stringify(r)}\n`;
        continue;
      }
      if (!header) {
        header = Object.keys(r);
        yield `${header.join(',')}\n`;
      }
      const row = r as unknown as Record<string, unknown>;
      yield `${header.map((h) => csvCell(row[h])).join(',')}\n`;
    }
  }
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s =
    typeof v === 'string'
      ? v
      : typeof v === 'number' || typeof v === 'boolean'
        ? String(v)
        : JSON.stringify(v);
  // Quote, and neutralise spreadsheet formulas (CSV injection).
  const safe = /^[=+\-@\t\r]/.test(s) && !/^[+-]?\d/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function assertWindow(w: Window, required = false): void {
  for (const [name, v] of Object.entries(w)) {
    if (v !== undefined && Number.isNaN(Date.parse(v as string))) {
      throw new SigiloError('VALIDATION_FAILED', `${name} must be an ISO-8601 date-time`, { path: name });
    }
  }
  if (w.from && w.to && w.from > w.to)
    throw new SigiloError('VALIDATION_FAILED', 'from is after to', { path: 'from' });
  if (required && (!w.from || !w.to)) {
    throw new SigiloError('VALIDATION_FAILED', 'an authority search needs a time window (from and to)', {
      path: w.from ? 'to' : 'from',
    });
  }
}

/** The first `limit` records of an ordered read, and the cursor of the next page when there are more. */
async function page(source: AsyncIterable<PositionedRecord>, limit: number): Promise<Page<TelecomRecord>> {
  const n = Math.min(Math.max(1, Math.floor(limit)), PAGE_MAX);
  const out: PositionedRecord[] = [];
  let more = false;
  for await (const r of source) {
    if (out.length === n) {
      more = true;
      break;
    }
    out.push(r);
  }
  const last = out[out.length - 1];
  return { records: out.map((r) => r.record), next: more && last ? encodeCursor(last) : null };
}

/** Merges ordered reads into one, dropping a record that two of them return. */
async function* mergeOrdered(reads: AsyncGenerator<PositionedRecord>[]): AsyncGenerator<PositionedRecord> {
  const heads = new TinyQueue<{ read: AsyncGenerator<PositionedRecord>; r: PositionedRecord }>([], (a, b) =>
    comparePositions(a.r, b.r),
  );
  try {
    for (const read of reads) {
      const n = await read.next();
      if (!n.done) heads.push({ read, r: n.value });
    }
    let last: RecordPosition | null = null;
    while (heads.length) {
      const head = heads.pop()!;
      if (last === null || comparePositions(head.r, last) !== 0) yield head.r;
      last = head.r;
      const n = await head.read.next();
      if (!n.done) heads.push({ read: head.read, r: n.value });
    }
  } finally {
    for (const read of reads) await read.return(undefined);
  }
}

// A cursor is the position of the last record handed out: the next page starts after it, so pages neither
// repeat nor skip records when others are stored or deleted meanwhile. It names a segment id and an instant,
// never a record's content.
function encodeCursor(p: RecordPosition): string {
  return Buffer.from(JSON.stringify({ t: p.at, s: p.segment, i: p.index })).toString('base64url');
}

/** The farthest instant a Date can hold (ECMA-262 §21.4.1.1), in milliseconds either side of 1970. */
const MAX_INSTANT = 8.64e15;

function decodeCursor(c: string | undefined): { after?: RecordPosition } {
  if (c === undefined) return {};
  try {
    const o = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as {
      t?: unknown;
      s?: unknown;
      i?: unknown;
    };
    if (
      Number.isInteger(o.t) &&
      Math.abs(o.t as number) <= MAX_INSTANT &&
      typeof o.s === 'string' &&
      /^[0-9A-Za-z-]{1,64}$/.test(o.s) &&
      Number.isSafeInteger(o.i) &&
      (o.i as number) >= 0
    )
      return { after: { at: o.t as number, segment: o.s, index: o.i as number } };
  } catch {
    // fall through
  }
  throw new SigiloError('VALIDATION_FAILED', 'cursor is not valid', { path: 'cursor' });
}

/**
 * The time span searched for an IP, port and instant: connection sessions that started up to two days before it,
 * access records within a minute of it. A preservation hold by IP keeps the records of this span.
 */
export function ipPortWindow(kind: 'connection' | 'access', instant: string): { from: string; to: string } {
  const at = Date.parse(instant);
  return kind === 'connection'
    ? { from: new Date(at - 2 * 86_400_000).toISOString(), to: new Date(at).toISOString() }
    : { from: new Date(at - 60_000).toISOString(), to: new Date(at + 60_000).toISOString() };
}
