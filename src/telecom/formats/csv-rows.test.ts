import { Readable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { Prng } from '../../../test/support/synthetic/prng.ts';
import type { CsvItem } from './csv-rows.ts';
import { MAX_RECORD_LINES, readCsvRows, splitSimpleLine } from './csv-rows.ts';

async function items(text: string | Buffer[], options: { delimiter?: string } = {}): Promise<CsvItem[]> {
  const out: CsvItem[] = [];
  const source = typeof text === 'string' ? Readable.from([text]) : Readable.from(text);
  for await (const batch of readCsvRows(source, options)) out.push(...batch);
  return out;
}

/** One byte at a time: every line, quote and multi-byte character is cut by a chunk boundary somewhere. */
function byteChunks(text: string): Buffer[] {
  return [...Buffer.from(text)].map((b) => Buffer.from([b]));
}

function summary(list: CsvItem[]): string[] {
  return list.map((i) => (i.ok ? `${i.line}:${i.fields.join('|')}` : `${i.line}!`));
}

const ALPHABET = ['a', 'b', '1', ' ', ',', '"', 'é', '\u00a0', ';', '\r', '\n', '<', '>'];

function randomValue(rng: Prng): string {
  let value = '';
  for (let i = rng.int(0, 6); i > 0; i--) value += rng.pick(ALPHABET);
  return value;
}

/** A valid CSV writing of `values`: quoted when needed (and sometimes when not). */
function csvLine(rng: Prng, values: string[], delimiter = ','): string {
  return values
    .map((v) => (/[",\r\n;]/.test(v) || rng.next() < 0.3 ? `"${v.replaceAll('"', '""')}"` : v))
    .join(delimiter);
}

describe('splitSimpleLine', () => {
  it('splits exactly like csv-parse on every line it accepts, and accepts the common ones', () => {
    const rng = new Prng(7);
    let accepted = 0;
    for (let n = 0; n < 5000; n++) {
      const values = Array.from({ length: rng.int(1, 6) }, () => randomValue(rng).replace(/[\r\n]/g, ''));
      let line = csvLine(rng, values);
      // damage one line in four: a random character inserted somewhere
      if (n % 4 === 0) {
        const at = rng.int(0, line.length);
        line = line.slice(0, at) + rng.pick(['"', ',', 'x', '""']) + line.slice(at);
      }
      if (line === '') continue;
      const fast = splitSimpleLine(line, 44);
      if (n % 4 !== 0) expect(fast, line).toEqual(values);
      if (fast === null) continue;
      accepted++;
      expect(fast, line).toEqual(parse(line, { relax_column_count: true })[0]);
    }
    expect(accepted).toBeGreaterThan(3750);
  });

  it('leaves stray and open quotes to csv-parse', () => {
    expect(splitSimpleLine('"a","b', 44)).toBeNull();
    expect(splitSimpleLine('a"b,c', 44)).toBeNull();
    expect(splitSimpleLine('"a"b,c', 44)).toBeNull();
    expect(splitSimpleLine('"a" ,c', 44)).toBeNull();
  });

  it('reads doubled quotes, empty fields and a trailing delimiter', () => {
    expect(splitSimpleLine('"""Alice"" <1001>",,x,', 44)).toEqual(['"Alice" <1001>', '', 'x', '']);
    expect(splitSimpleLine('a;"b;c";d', 59)).toEqual(['a', 'b;c', 'd']);
  });
});

describe('readCsvRows', () => {
  it('gives the same records as csv-parse for valid files, including quoted line breaks, in any chunking', async () => {
    const rng = new Prng(11);
    for (let file = 0; file < 40; file++) {
      const eol = file % 2 === 0 ? '\n' : '\r\n';
      const rows = Array.from({ length: rng.int(1, 30) }, () =>
        Array.from({ length: 4 }, () => randomValue(rng).replaceAll('\r', '')),
      );
      const text = rows.map((values) => csvLine(rng, values)).join(eol) + (rng.next() < 0.5 ? eol : '');
      const expected = parse(text, { relax_column_count: true, skip_empty_lines: true });
      for (const input of [text, byteChunks(text)]) {
        const got = await items(input);
        expect(got.every((i) => i.ok)).toBe(true);
        expect(got.map((i) => (i.ok ? i.fields : []))).toEqual(expected);
      }
    }
  });

  it('numbers lines from 1, skipping empty lines and counting the lines of multi-line records', async () => {
    for (const eol of ['\n', '\r\n']) {
      const text = ['"a","1"', '"m","two' + eol + 'lines"', '', '"b","2"', ''].join(eol);
      const got = await items(text);
      expect(summary(got)).toEqual(['1:a|1', `2:m|two${eol}lines`, '5:b|2']);
      for (const input of [byteChunks(text)]) expect(summary(await items(input))).toEqual(summary(got));
    }
  });

  it('drops a leading BOM and the CR of CRLF line endings', async () => {
    const got = await items('\ufeff"a",b\r\nc,"d"\r\n');
    expect(summary(got)).toEqual(['1:a|b', '2:c|d']);
    expect(got[0]?.ok && got[0].raw).toBe('"a",b');
  });

  it('costs a line with an unclosed quote only that line, and says so without its content', async () => {
    const text = ['"a","1"', '"b","2', '"c","3"', '"d","4"'].join('\n');
    for (const input of [text, byteChunks(text)]) {
      const got = await items(input);
      expect(summary(got)).toEqual(['1:a|1', '2!', '3:c|3', '4:d|4']);
      const failure = got[1];
      expect(failure?.ok).toBe(false);
      if (failure !== undefined && !failure.ok) expect(failure.reason).toMatch(/quot/);
    }
  });

  it('reports a stray quote and keeps going', async () => {
    const got = await items('a,b\nc"d,e\nf,g\n');
    expect(summary(got)).toEqual(['1:a|b', '2!', '3:f|g']);
    expect(got[1]?.ok === false && got[1].reason).toBe(
      'broken quoting: a quote appears inside an unquoted field',
    );
  });

  it('gives up on a quoted field still open after many lines and re-reads the lines after it', async () => {
    const lines = ['"open,x', ...Array.from({ length: MAX_RECORD_LINES + 5 }, (_, i) => `r${i},v`)];
    const got = await items(lines.join('\n'));
    expect(got[0]).toMatchObject({ ok: false, line: 1 });
    expect(got.slice(1).every((i) => i.ok)).toBe(true);
    expect(got).toHaveLength(lines.length);
    expect(got[got.length - 1]).toMatchObject({ ok: true, line: lines.length });
  });

  it('reports an unclosed quote at the end of the input', async () => {
    expect(summary(await items('a,b\n"c,d\n'))).toEqual(['1:a|b', '2!']);
  });

  it('uses the given delimiter', async () => {
    expect(summary(await items('a;"b;c"\n', { delimiter: ';' }))).toEqual(['1:a|b;c']);
  });
});
