/**
 * Deterministic synthetic CDRs of a Brazilian hosted PBX: customer accounts with extensions and DIDs in one
 * DDD, calls out through named SIP trunks to mobiles, landlines, 0800 and abroad, calls in from the PSTN, and
 * extension-to-extension calls; realistic answer/no-answer/busy shares, ring times and log-normal talk times,
 * start times increasing with a business-hours rhythm. Writes Asterisk Master.csv (18 columns) for benchmarks.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import type { CallDirection, CallDisposition, ParsedCdr } from '../../../src/telecom/formats/cdr-record.ts';
import { DEFAULT_TIMEZONE } from '../../../src/telecom/formats/cdr-record.ts';
import { LocalFormatter } from '../../../src/telecom/formats/local-time.ts';
import {
  foreignNumber,
  landlineSubscriber,
  mobileSubscriber,
  randomDdd,
  tollFree,
  writeInternational,
  writeNational,
} from './brazilian-numbers.ts';
import type { NationalWriting } from './brazilian-numbers.ts';
import { Prng } from './prng.ts';

export interface SyntheticCdrOptions {
  /** How many records; may be Infinity when the consumer stops on its own. */
  count: number;
  seed?: number;
  /** First call's start; default 2026-01-05T11:00:00Z (a Monday, 08:00 in São Paulo). */
  start?: Date;
  /** SIP peer names of the carrier trunks, used in channel names ('SIP/trunk-acme-0000001a'). */
  trunks?: string[];
  /** Customer account codes (Asterisk accountcode). */
  accounts?: string[];
}

export const DEFAULT_TRUNKS = ['trunk-acme', 'trunk-vivo', 'trunk-claro', 'trunk-algar'];
export const DEFAULT_ACCOUNTS = ['padaria-estrela', 'clinica-bem-estar', 'lima-advogados', 'auto-pecas-sul'];
const DEFAULT_START = Date.UTC(2026, 0, 5, 11, 0, 0);

const FIRST_NAMES = [
  'Ana',
  'João',
  'Maria',
  'José',
  'Francisca',
  'Antônio',
  'Juliana',
  'Carlos',
  'Márcia',
  'Paulo',
];
const LAST_NAMES = [
  'Silva',
  'Santos',
  'Oliveira',
  'Souza',
  'Lima',
  'Pereira',
  'Ferreira',
  'Almeida',
  'Costa',
];

interface Extension {
  number: string;
  name: string;
}

interface Account {
  code: string;
  ddd: number;
  trunk: string;
  dids: string[];
  extensions: Extension[];
}

function makeAccounts(rng: Prng, codes: string[], trunks: string[]): Account[] {
  return codes.map((code, index) => {
    const ddd = randomDdd(rng);
    const firstExtension = 1000 + index * 100;
    const extensions: Extension[] = [];
    const size = rng.int(4, 24);
    for (let i = 0; i < size; i++) {
      extensions.push({
        number: String(firstExtension + i),
        name: `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}`,
      });
    }
    const dids = [0, 1, 2].map(() => `${ddd}${landlineSubscriber(rng)}`);
    return { code, ddd, trunk: trunks[index % trunks.length] ?? 'trunk', dids, extensions };
  });
}

type Kind = 'outbound' | 'inbound' | 'internal';

const DISPOSITION_SHARES: Record<Kind, Record<Exclude<CallDisposition, 'unknown'>, number>> = {
  outbound: { answered: 62, no_answer: 22, busy: 9, failed: 4, congestion: 3 },
  inbound: { answered: 75, no_answer: 18, busy: 4, failed: 3, congestion: 0 },
  internal: { answered: 80, no_answer: 15, busy: 5, failed: 0, congestion: 0 },
};

const NATIONAL_WRITINGS: Record<NationalWriting, number> = { ddd: 50, csp: 25, e164: 15, 'zero-ddd': 10 };

/** Calls per second follow the working day in Brazil (UTC-3): busy 08-18 on weekdays, quiet at night. */
function meanGapSeconds(utcMs: number): number {
  const local = new Date(utcMs - 3 * 3_600_000);
  const hour = local.getUTCHours();
  const weekday = local.getUTCDay() >= 1 && local.getUTCDay() <= 5;
  if (weekday && hour >= 8 && hour < 18) return 1.5;
  if (hour >= 7 && hour < 22) return 8;
  return 40;
}

function externalCallee(rng: Prng, account: Account): string {
  const roll = rng.next();
  if (roll < 0.03) return tollFree(rng);
  if (roll < 0.05) return writeInternational(foreignNumber(rng), rng);
  // most calls stay in the customer's own area code
  const ddd = rng.next() < 0.7 ? account.ddd : randomDdd(rng);
  const subscriber = rng.next() < 0.65 ? mobileSubscriber(rng) : landlineSubscriber(rng);
  return writeNational(ddd, subscriber, rng.weighted(NATIONAL_WRITINGS), rng);
}

function externalCaller(rng: Prng, account: Account): string {
  if (rng.next() < 0.02) return '+' + foreignNumber(rng);
  const ddd = rng.next() < 0.7 ? account.ddd : randomDdd(rng);
  const subscriber = rng.next() < 0.7 ? mobileSubscriber(rng) : landlineSubscriber(rng);
  // carriers deliver A-numbers without carrier codes
  return writeNational(ddd, subscriber, rng.weighted({ ddd: 50, 'zero-ddd': 25, e164: 25 }), rng);
}

interface Timing {
  ringSec: number;
  billSec: number;
}

function timing(rng: Prng, disposition: CallDisposition, kind: Kind): Timing {
  switch (disposition) {
    case 'answered': {
      const ringSec = Math.min(40, 2 + Math.round(rng.exponential(6)));
      const median = kind === 'internal' ? 40 : 75;
      const billSec = Math.max(1, Math.min(7200, Math.round(rng.logNormal(median, 1.1))));
      return { ringSec, billSec };
    }
    case 'no_answer':
      return { ringSec: rng.int(5, 45), billSec: 0 };
    case 'busy':
      return { ringSec: rng.int(1, 4), billSec: 0 };
    default:
      return { ringSec: rng.int(0, 2), billSec: 0 };
  }
}

/** Yields `count` deterministic synthetic CDRs (whole-second times, uniqueid '<epoch>.<sequence>'). */
export function* generateCdrs(opts: SyntheticCdrOptions): Generator<ParsedCdr> {
  const rng = new Prng(opts.seed ?? 5);
  const trunks = opts.trunks !== undefined && opts.trunks.length > 0 ? opts.trunks : DEFAULT_TRUNKS;
  const codes = opts.accounts !== undefined && opts.accounts.length > 0 ? opts.accounts : DEFAULT_ACCOUNTS;
  const accounts = makeAccounts(rng, codes, trunks);
  let clock = Math.floor((opts.start?.getTime() ?? DEFAULT_START) / 1000) * 1000;
  let channelSequence = 0x1a;
  const channelSuffix = (): string => (channelSequence++).toString(16).padStart(8, '0');

  for (let i = 0; i < opts.count; i++) {
    clock += Math.round(rng.exponential(meanGapSeconds(clock))) * 1000;
    const account = rng.pick(accounts);
    const kind = rng.weighted<Kind>({ outbound: 50, inbound: 38, internal: 12 });
    const disposition = rng.weighted(DISPOSITION_SHARES[kind]);
    const { ringSec, billSec } = timing(rng, disposition, kind);
    const extension = rng.pick(account.extensions);
    const trunk = rng.next() < 0.85 ? account.trunk : rng.pick(trunks);
    const reachedPeer = disposition !== 'failed' && disposition !== 'congestion';

    let caller: string;
    let callee: string;
    let callerName: string | null;
    let context: string;
    let channel: string;
    let dstChannel: string | null;
    let direction: CallDirection;
    if (kind === 'outbound') {
      caller = extension.number;
      callee = externalCallee(rng, account);
      callerName = extension.name;
      context = 'from-internal';
      channel = `SIP/${extension.number}-${channelSuffix()}`;
      dstChannel = `SIP/${trunk}-${channelSuffix()}`;
      direction = 'outbound';
    } else if (kind === 'inbound') {
      caller = externalCaller(rng, account);
      callee = rng.pick(account.dids);
      callerName = null;
      context = 'from-trunk';
      channel = `SIP/${trunk}-${channelSuffix()}`;
      dstChannel = reachedPeer ? `SIP/${extension.number}-${channelSuffix()}` : null;
      direction = 'inbound';
    } else {
      // the next extension when the pick lands on the caller (accounts have at least four)
      let other = rng.pick(account.extensions);
      if (other === extension) {
        other =
          account.extensions[(account.extensions.indexOf(extension) + 1) % account.extensions.length] ??
          other;
      }
      caller = extension.number;
      callee = other.number;
      callerName = extension.name;
      context = 'from-internal';
      channel = `SIP/${extension.number}-${channelSuffix()}`;
      dstChannel = reachedPeer ? `SIP/${other.number}-${channelSuffix()}` : null;
      direction = 'internal';
    }

    const startMs = clock;
    const answerMs = disposition === 'answered' ? startMs + ringSec * 1000 : null;
    const endMs = startMs + (ringSec + billSec) * 1000;
    const uniqueId = `${startMs / 1000}.${i}`;
    yield {
      // The key the Asterisk reader derives from the row it will be written as (see asterisk-csv.reader.ts).
      naturalKey: `asterisk:${uniqueId}|${startMs}|${dstChannel ?? ''}|${dstChannel === null ? 'Hangup' : 'Dial'}|${callee}`,
      platform: 'asterisk',
      platformId: uniqueId,
      linkedId: null,
      startedAt: new Date(startMs).toISOString(),
      answeredAt: answerMs === null ? null : new Date(answerMs).toISOString(),
      endedAt: new Date(endMs).toISOString(),
      durationSec: ringSec + billSec,
      billSec,
      caller,
      callee,
      callerName,
      accountCode: account.code,
      context,
      channel,
      dstChannel,
      username: null,
      sourceIp: null,
      disposition,
      direction,
      sourceLine: i + 1,
    };
  }
}

const ASTERISK_DISPOSITION: Record<CallDisposition, string> = {
  answered: 'ANSWERED',
  no_answer: 'NO ANSWER',
  busy: 'BUSY',
  failed: 'FAILED',
  congestion: 'CONGESTION',
  unknown: 'FAILED',
};

function quote(value: string): string {
  return value.includes('"') ? `"${value.replaceAll('"', '""')}"` : `"${value}"`;
}

/** One Master.csv line (18 columns, cdr_csv quoting: strings quoted, durations bare), ending in '\n'. */
export function asteriskCsvLine(cdr: ParsedCdr, local: LocalFormatter): string {
  const clid = cdr.callerName === null ? cdr.caller : `"${cdr.callerName}" <${cdr.caller}>`;
  const dialed = cdr.dstChannel === null ? '' : cdr.dstChannel.replace(/-[0-9a-f]+$/, '');
  const start = local.format(Date.parse(cdr.startedAt));
  const answer = cdr.answeredAt === null ? '' : local.format(Date.parse(cdr.answeredAt));
  const end = local.format(Date.parse(cdr.endedAt));
  return (
    [
      quote(cdr.accountCode ?? ''),
      quote(cdr.caller),
      quote(cdr.callee),
      quote(cdr.context ?? ''),
      quote(clid),
      quote(cdr.channel ?? ''),
      quote(cdr.dstChannel ?? ''),
      quote(dialed === '' ? 'Hangup' : 'Dial'),
      quote(dialed === '' ? '' : `${dialed},60,tT`),
      quote(start),
      quote(answer),
      quote(end),
      String(cdr.durationSec),
      String(cdr.billSec),
      quote(ASTERISK_DISPOSITION[cdr.disposition]),
      quote('DOCUMENTATION'),
      quote(cdr.platformId ?? ''),
      quote(''),
    ].join(',') + '\n'
  );
}

export interface WriteAsteriskCsvOptions extends SyntheticCdrOptions {
  out: Writable;
  /** PBX clock zone for the local times; default 'America/Sao_Paulo'. */
  timezone?: string;
  /** Stop once at least this many bytes were written (the last row is whole). */
  maxBytes?: number;
}

const FLUSH_CHARS = 256 * 1024;

/** Streams synthetic CDRs as Asterisk Master.csv to `out`, honouring backpressure; does not end `out`. */
export async function writeAsteriskCsv(
  opts: WriteAsteriskCsvOptions,
): Promise<{ rows: number; bytes: number }> {
  const local = new LocalFormatter(opts.timezone ?? DEFAULT_TIMEZONE);
  const maxBytes = opts.maxBytes ?? Number.POSITIVE_INFINITY;
  let rows = 0;
  let bytes = 0;
  let pending = '';
  const flush = async (): Promise<void> => {
    if (pending === '') return;
    bytes += Buffer.byteLength(pending);
    const ok = opts.out.write(pending);
    pending = '';
    if (!ok) await once(opts.out, 'drain');
  };
  for (const cdr of generateCdrs(opts)) {
    pending += asteriskCsvLine(cdr, local);
    rows++;
    if (pending.length >= FLUSH_CHARS) {
      await flush();
      if (bytes >= maxBytes) break;
    }
  }
  await flush();
  return { rows, bytes };
}

/**
 * Writes a Master.csv of synthetic CDRs to `file`, either `{ rows }` long or about `{ bytes }` large (within
 * 256 KiB), e.g. `generateAsteriskCsvFile('cdr-1g.csv', { bytes: 1 << 30 })` for the P7 benchmark.
 */
export async function generateAsteriskCsvFile(
  file: string,
  target: { rows: number } | { bytes: number },
  opts: Omit<WriteAsteriskCsvOptions, 'out' | 'count' | 'maxBytes'> = {},
): Promise<{ rows: number; bytes: number }> {
  const out = createWriteStream(file);
  const closed = once(out, 'close');
  try {
    const result =
      'rows' in target
        ? await writeAsteriskCsv({ ...opts, out, count: target.rows })
        : await writeAsteriskCsv({ ...opts, out, count: Number.POSITIVE_INFINITY, maxBytes: target.bytes });
    out.end();
    await closed;
    return result;
  } catch (err) {
    out.destroy();
    throw err;
  }
}
