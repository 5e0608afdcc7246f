/**
 * Measures reader throughput on a synthetic Asterisk Master.csv:
 *   npx tsx bench/measure-throughput.ts [rows=1000000] [file]
 * Prints rows/s (wall and CPU) of csv-parse alone and of the full reader (split + validation + mapping), and
 * peak RSS.
 */
import { createReadStream, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse';
import { generateAsteriskCsvFile } from '../test/support/synthetic/synthetic-cdr.ts';
import { readAsteriskCsv } from '../src/telecom/formats/asterisk-csv.reader.ts';

const rows = Number(process.argv[2] ?? 1_000_000);
const file = process.argv[3] ?? join(tmpdir(), `sigilo-throughput-${rows}.csv`);

async function timed(label: string, run: () => Promise<number>): Promise<void> {
  const started = performance.now();
  const count = await run();
  const seconds = (performance.now() - started) / 1000;
  const rss = Math.round(process.resourceUsage().maxRSS / 1024);
  console.log(
    `${label}: ${count} rows in ${seconds.toFixed(2)} s = ${Math.round(count / seconds)} rows/s (peak RSS ${rss} MB)`,
  );
}

if (!existsSync(file)) {
  const made = await generateAsteriskCsvFile(file, { rows });
  console.log(`generated ${file}: ${made.rows} rows, ${(made.bytes / 1e6).toFixed(1)} MB`);
}
await timed('csv-parse alone', async () => {
  let count = 0;
  for await (const _record of createReadStream(file).pipe(parse({ relax_column_count: true }))) count++;
  return count;
});
await timed('asterisk-csv reader', async () => {
  let ok = 0;
  for await (const outcome of readAsteriskCsv(createReadStream(file))) if (outcome.ok) ok++;
  return ok;
});
