/**
 * The machine-readable answer to an access or portability request: one JSON document, streamed, in the format
 * `sigilo.subject-export` version 2 (docs/subject-export-schema.md, docs/subject-export.schema.json). Items are
 * written as the gated walk finds them and the writer waits for the destination to drain, so memory stays flat
 * however many call records the subject has.
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { CollectedItem, SubjectDataSink } from './subject-data.collector.ts';
import { SubjectSummary } from './subject-summary.ts';

export const EXPORT_FORMAT = 'sigilo.subject-export';
/** 2: recordings (metadata), blocked categories and the subject's requests with their answers. */
export const EXPORT_VERSION = 2;

export interface ExportHeader {
  generatedAt: string;
  controller: { name: string; dpoEmail: string };
  policyVersion: number;
  request: { id: string; type: string; receivedAt: string };
  subject: { id: string; kind: 'account' | 'person' };
  /** Categories the subject had blocked (LGPD Art. 18 IV), since when and by which request. */
  blocked: { category: string; label: string; since: string; requestId: string }[];
  /** The subject's requests, with the answer of each in Portuguese where it is a statement. */
  requests: {
    id: string;
    type: string;
    typeLabel: string;
    state: string;
    stateLabel: string;
    receivedAt: string;
    answeredAt: string | null;
    answer: string[];
  }[];
}

/** A sink that writes the export document to `out`; `summary` is filled as it goes. */
export function exportSink(
  out: Writable,
  header: ExportHeader,
  summary = new SubjectSummary(),
): SubjectDataSink {
  let pending = '';
  let first = true;
  let open = false;
  let itemFirst = true;
  // Batches of ~64 KiB: one write per record would cost more in stream bookkeeping than in JSON. A promise is
  // answered only when the batch went out and the destination must drain (the record loop awaits nothing else).
  const write = (text: string, force = false): Promise<void> | undefined => {
    pending += text;
    if (pending.length < 65_536 && !force) return undefined;
    const chunk = pending;
    pending = '';
    return out.write(chunk) ? undefined : once(out, 'drain').then(() => undefined);
  };
  const head = JSON.stringify({ format: EXPORT_FORMAT, version: EXPORT_VERSION, ...header });
  let started = false;
  const start = async (): Promise<void> => {
    if (started) return;
    started = true;
    await write(`${head.slice(0, -1)},"sections":{`);
  };
  return {
    async section(name) {
      await start();
      await write(`${open ? ']' : ''}${first ? '' : ','}${JSON.stringify(name)}:[`);
      first = false;
      open = true;
      itemFirst = true;
    },
    async item(item: CollectedItem, category, extra) {
      summary.item(item, category, extra);
      await write(`${itemFirst ? '' : ','}${JSON.stringify(item)}`);
      itemFirst = false;
    },
    record(json, category, at) {
      summary.record(json, category, at);
      const comma = !itemFirst;
      itemFirst = false;
      return write(comma ? `,${json}` : json);
    },
    async withheld(kind, category, createdAt) {
      summary.withheld(category, createdAt);
      await write(`${itemFirst ? '' : ','}${JSON.stringify({ kind, createdAt, value: 'withheld' })}`);
      itemFirst = false;
    },
    async end() {
      await start();
      await write(
        `${open ? ']' : ''}},"summary":${JSON.stringify({ categories: summary.toJSON() })}}\n`,
        true,
      );
    },
  };
}
