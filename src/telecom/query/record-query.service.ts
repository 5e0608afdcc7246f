/**
 * Reading telecom records: an account's or a person's history in a time window (support, billing), authority
 * searches by number or by IP + port + instant (authority_order only), and streaming export. Every read goes
 * through the gate extension, which checks the policy, masks third-party numbers and logs the access.
 */
import { SigiloError } from '../../errors.ts';
import type { GateSession } from '../../gate/gate.ts';
import { readTelecomRecords, type TelecomQuery } from '../sealing/telecom-records.gate.ts';
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
  records: T[];
  /** Opaque cursor for the next page, null at the end. */
  next: string | null;
}

/** Queries over sealed telecom segments. */
export class RecordQueryService {
  /** One page of an account's records of `kind` in the window. */
  async accountHistory(
    s: GateSession,
    kind: TelecomKind,
    accountId: string,
    w: Window,
    limit = 100,
    cursor?: string,
  ): Promise<Page<TelecomRecord>> {
    assertWindow(w);
    return page(readTelecomRecords(s, kind, { accountId, ...w }), limit, cursor);
  }

  /** A person's calls: records of their accounts that involve one of their phone numbers. */
  async personCalls(
    s: GateSession,
    personId: string,
    w: Window,
    limit = 100,
    cursor?: string,
  ): Promise<Page<TelecomRecord>> {
    assertWindow(w);
    const phones = await s.find('phones', { where: { person_id: personId }, subjectId: personId });
    const links = await s.tx
      .selectFrom('account_people')
      .select('account_id')
      .where('person_id', '=', personId)
      .execute();
    const records = async function* (): AsyncGenerator<TelecomRecord> {
      const seen = new Set<string>();
      for (const l of links) {
        for (const p of phones) {
          const q: TelecomQuery = {
            accountId: l.account_id,
            ...w,
            terms: [{ kind: 'number', value: String(p.fields.value) }],
          };
          for await (const r of readTelecomRecords(s, 'cdr', q)) {
            if (seen.has(r.key)) continue;
            seen.add(r.key);
            yield r;
          }
        }
      }
    };
    return page(records(), limit, cursor);
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
    return page(readTelecomRecords(s, 'cdr', { ...w, terms: [{ kind: 'number', value }] }), limit, cursor);
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
    const value = normaliseIp(ip, 'ip');
    const at = Date.parse(instant);
    if (Number.isNaN(at))
      throw new SigiloError('VALIDATION_FAILED', 'instant must be an ISO-8601 date-time', {
        path: 'instant',
      });
    if (port !== null && (!Number.isInteger(port) || port < 0 || port > 65535)) {
      throw new SigiloError('VALIDATION_FAILED', 'port must be 0 to 65535', { path: 'port' });
    }
    const day = 86_400_000;
    const window = { from: new Date(at - 2 * day).toISOString(), to: new Date(at).toISOString() };
    const out: (ConnectionRecord | AccessRecord)[] = [];
    const inPorts = (lo: number | null, hi: number | null): boolean =>
      port === null || lo === null || (port >= lo && port <= (hi ?? lo));
    for await (const r of readTelecomRecords(s, 'connection', {
      ...window,
      terms: [{ kind: 'ip', value }],
      where: (r) =>
        r.kind === 'connection' &&
        Date.parse(r.startedAt) <= at &&
        (r.stoppedAt === null || Date.parse(r.stoppedAt) >= at) &&
        inPorts(r.portStart, r.portEnd),
    })) {
      out.push(r as ConnectionRecord);
      if (out.length >= limit) break;
    }
    for await (const r of readTelecomRecords(s, 'access', {
      from: new Date(at - 60_000).toISOString(),
      to: new Date(at + 60_000).toISOString(),
      terms: [{ kind: 'ip', value }],
      where: (r) => r.kind === 'access' && (port === null || r.port === null || r.port === port),
    })) {
      if (out.length >= limit) break;
      out.push(r as AccessRecord);
    }
    return { records: out, next: null };
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
    for await (const r of readTelecomRecords(s, kind, { accountId, ...w }, 'export')) {
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

async function page<T>(source: AsyncIterable<T>, limit: number, cursor?: string): Promise<Page<T>> {
  const n = Math.min(Math.max(1, Math.floor(limit)), PAGE_MAX);
  const skip = cursor ? decodeCursor(cursor) : 0;
  const out: T[] = [];
  let i = 0;
  let more = false;
  for await (const r of source) {
    if (i++ < skip) continue;
    if (out.length === n) {
      more = true;
      break;
    }
    out.push(r);
  }
  return {
    records: out,
    next: more ? Buffer.from(JSON.stringify({ o: skip + n })).toString('base64url') : null,
  };
}

function decodeCursor(c: string): number {
  try {
    const o = (JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as { o?: unknown }).o;
    if (typeof o === 'number' && Number.isInteger(o) && o >= 0) return o;
  } catch {
    // fall through
  }
  throw new SigiloError('VALIDATION_FAILED', 'cursor is not valid', { path: 'cursor' });
}
