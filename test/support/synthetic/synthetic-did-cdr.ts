/**
 * Deterministic Asterisk Master.csv of a hosted-PBX provider with many customer accounts and no account codes:
 * each account owns a block of DID numbers, and a record belongs to the account whose DID block holds its caller
 * (outbound, the DID presented) or callee (inbound). A few resellers hold a short prefix and sub-customers longer
 * prefixes inside it (the longest prefix wins); a small share of calls touch no customer block (unattributable).
 * Calls follow a business-hours rhythm over the days the file spans, time-ordered as a PBX writes them, with a
 * skewed spread of calls over accounts (a few large customers, many small ones).
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { LocalFormatter } from '../../../src/telecom/formats/local-time.ts';
import { Prng } from './prng.ts';

const DDDS = [11, 21, 31, 41, 51, 61, 71, 81, 19, 48];
const TRUNKS = ['trunk-vivo', 'trunk-claro', 'trunk-tim', 'trunk-algar', 'trunk-embratel'];
const DISPOSITIONS: [string, number][] = [
  ['ANSWERED', 68],
  ['NO ANSWER', 20],
  ['BUSY', 7],
  ['FAILED', 3],
  ['CONGESTION', 2],
];

/** One DID-prefix rule of the generated file: `prefix` (E.164, with +) belongs to account number `account`. */
export interface DidBlock {
  account: number;
  prefix: string;
}

export interface DidCdrOptions {
  rows: number;
  accounts?: number;
  seed?: number;
  /** Days the file spans (calls spread over them); default about 33,000 calls a day (1,000,000 rows: 30 days). */
  days?: number;
  /** First day, UTC midnight; default 2026-03-02. */
  start?: Date;
  /** Share of calls that touch no customer block. */
  unmatchedShare?: number;
}

/**
 * The DID blocks of `accounts` accounts: account i < 10 is a reseller with a 7-digit block (+55 DD 4 i), accounts
 * 10..19 hold 8-digit blocks inside resellers' blocks (+55 DD 4 r 0), the rest 8-digit blocks of their own (+55 DD
 * 3 nnn, DD varying). Every prefix is + and 4 to 15 digits (normalisePattern).
 */
export function didBlocks(accounts: number): DidBlock[] {
  const blocks: DidBlock[] = [];
  for (let i = 0; i < accounts; i++) {
    const ddd = DDDS[i % DDDS.length]!;
    if (i < 10) blocks.push({ account: i, prefix: `+55${ddd}4${i}` });
    else if (i < 20) {
      const r = i - 10; // inside reseller r's block: +55 DDD(r) 4 r 0
      blocks.push({ account: i, prefix: `+55${DDDS[r % DDDS.length]!}4${r}0` });
    } else
      blocks.push({
        account: i,
        prefix: `+55${ddd}3${String(Math.floor(i / DDDS.length)).padStart(3, '0')}`,
      });
  }
  return blocks;
}

/** The account whose block holds `e164` by longest prefix (what attribution must find), or null. */
export function expectedAccount(blocks: readonly DidBlock[], e164: string): number | null {
  let best: DidBlock | null = null;
  for (const b of blocks)
    if (e164.startsWith(b.prefix) && (!best || b.prefix.length > best.prefix.length)) best = b;
  return best?.account ?? null;
}

function digits(rng: Prng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String(rng.int(0, 9));
  return s;
}

/** A landline of `block` (12 digits after +: the block's digits then random ones), in E.164. */
function numberIn(rng: Prng, prefix: string): string {
  return prefix + digits(rng, 13 - prefix.length);
}

/** A public number no block holds: a mobile (+55 DD 9 ...). */
function outsider(rng: Prng): string {
  return `+55${rng.pick(DDDS)}9${digits(rng, 8)}`;
}

/** As a PBX writes numbers: national (DDD + number) most of the time, E.164 or with a leading 0 sometimes. */
function written(rng: Prng, e164: string): string {
  const national = e164.slice(3);
  const r = rng.next();
  if (r < 0.6) return national;
  if (r < 0.8) return `0${national}`;
  return e164;
}

function quote(v: string): string {
  return `"${v.replaceAll('"', '""')}"`;
}

/** One generated row: its CSV line and the account it must be attributed to (null: unattributable). */
export interface DidCdrRow {
  line: string;
  account: number | null;
}

/** Yields the rows of the file in time order. */
export function* didCdrRows(opts: DidCdrOptions): Generator<DidCdrRow> {
  const accounts = opts.accounts ?? 500;
  const days = opts.days ?? Math.max(1, Math.round(opts.rows / 33_000));
  const rng = new Prng(opts.seed ?? 18);
  const blocks = didBlocks(accounts);
  const local = new LocalFormatter('America/Sao_Paulo');
  const unmatched = opts.unmatchedShare ?? 0.005;
  const start = opts.start?.getTime() ?? Date.UTC(2026, 2, 2);
  // The whole span, time-ordered: the mean gap that spreads `rows` over `days`.
  const gapMs = (days * 86_400_000) / opts.rows;
  let clock = start;
  let channel = 0x1a;
  for (let i = 0; i < opts.rows; i++) {
    clock += Math.round(rng.exponential(gapMs / 1000) * 1000);
    const startMs = Math.floor(clock / 1000) * 1000;
    // Skewed: r² puts more calls on low-numbered accounts.
    const r = rng.next();
    const block = blocks[Math.floor(r * r * blocks.length)]!;
    const inbound = rng.next() < 0.45;
    const ours = rng.next() < unmatched ? outsider(rng) : numberIn(rng, block.prefix);
    // A reseller's call may land in a sub-customer's block by chance: the expected account is the longest prefix.
    const account = expectedAccount(blocks, ours);
    const other = outsider(rng);
    const src = inbound ? written(rng, other) : written(rng, ours);
    const dst = inbound ? written(rng, ours) : written(rng, other);
    const [disposition] = pickWeighted(rng, DISPOSITIONS);
    const answered = disposition === 'ANSWERED';
    const ring = rng.int(2, 25);
    const bill = answered ? Math.max(1, Math.round(rng.logNormal(70, 1.1))) : 0;
    const trunk = rng.pick(TRUNKS);
    const ext = 1000 + rng.int(0, 40);
    const chan = (channel++).toString(16).padStart(8, '0');
    const dchan = (channel++).toString(16).padStart(8, '0');
    const channelA = inbound ? `PJSIP/${trunk}-${chan}` : `PJSIP/${ext}-${chan}`;
    const channelB = inbound ? `PJSIP/${ext}-${dchan}` : `PJSIP/${trunk}-${dchan}`;
    const reached = disposition !== 'FAILED' && disposition !== 'CONGESTION';
    const line = [
      quote(''),
      quote(src),
      quote(dst),
      quote(inbound ? 'from-trunk' : 'from-internal'),
      quote(inbound ? src : `"Ramal ${ext}" <${src}>`),
      quote(channelA),
      quote(reached ? channelB : ''),
      quote(reached ? 'Dial' : 'Hangup'),
      quote(reached ? `${channelB.replace(/-[0-9a-f]+$/, '')},60,tT` : ''),
      quote(local.format(startMs)),
      quote(answered ? local.format(startMs + ring * 1000) : ''),
      quote(local.format(startMs + (ring + bill) * 1000)),
      String(ring + bill),
      String(bill),
      quote(disposition),
      quote('DOCUMENTATION'),
      quote(`${startMs / 1000}.${i}`),
      quote(''),
    ].join(',');
    yield { line: `${line}\n`, account };
  }
}

function pickWeighted<T>(rng: Prng, items: [T, number][]): [T, number] {
  let total = 0;
  for (const [, w] of items) total += w;
  let roll = rng.next() * total;
  for (const it of items) {
    roll -= it[1];
    if (roll < 0) return it;
  }
  return items[items.length - 1]!;
}

/** Writes the file; returns the rows written and how many no block holds. */
export async function writeDidCdrFile(
  file: string,
  opts: DidCdrOptions,
): Promise<{ rows: number; unmatched: number; perAccount: Map<number, number> }> {
  const out = createWriteStream(file);
  const closed = once(out, 'close');
  let pending = '';
  let unmatched = 0;
  const perAccount = new Map<number, number>();
  for (const row of didCdrRows(opts)) {
    pending += row.line;
    if (row.account === null) unmatched++;
    else perAccount.set(row.account, (perAccount.get(row.account) ?? 0) + 1);
    if (pending.length >= 1 << 18) {
      if (!out.write(pending)) await once(out, 'drain');
      pending = '';
    }
  }
  out.end(pending);
  await closed;
  return { rows: opts.rows, unmatched, perAccount };
}
