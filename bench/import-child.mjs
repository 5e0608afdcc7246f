// Child process of the P7 benchmark, run with plain node on the production build (dist/), as an operator
// would run `sigilo import`: imports (or with --parse-only only reads) a file and prints its own peak RSS.
import fs from 'node:fs';
import { openSigilo } from '../dist/app.js';
import { runImport } from '../dist/cli/commands/import.command.js';
import { loadConfig } from '../dist/config/config.js';
import { readCdrs } from '../dist/telecom/formats/index.js';

const [file, account, mode] = process.argv.slice(2);
const t0 = Date.now();
let records = 0;
if (mode === '--parse-only') {
  for await (const o of readCdrs('asterisk-csv', fs.createReadStream(file, { highWaterMark: 1 << 20 })))
    if (o.ok) records++;
} else {
  // As `sigilo import` runs: no ingest worker threads unless SIGILO_INGEST_WORKERS asks for them.
  const sigilo = await openSigilo(
    loadConfig(process.env, { SIGILO_INGEST_WORKERS: process.env.SIGILO_INGEST_WORKERS ?? '0' }),
  );
  try {
    const devNull = fs.createWriteStream('/dev/null');
    records = (
      await runImport(sigilo, file, { format: 'asterisk-csv', account, json: true, progress: false }, devNull)
    ).stored;
  } finally {
    await sigilo.close();
  }
}
// Peak RSS of this process's own memory (VmHWM). getrusage's maxRSS is not used: Linux folds the parent's peak
// into it across fork and exec, so a child of a large benchmark process reported the parent's size.
function peakRssMb() {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS / 1024;
}
process.stdout.write(
  `${JSON.stringify({ records, seconds: (Date.now() - t0) / 1000, maxRssMb: peakRssMb() })}\n`,
);
