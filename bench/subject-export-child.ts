// Child process of the P4 benchmark: opens the benchmark's Sigilo, streams one complete subject export to a
// counting sink and prints its time, CPU time, bytes and its own peak RSS (VmHWM; see import-child.mjs for why).
import fs from 'node:fs';
import { Writable } from 'node:stream';
import { openSigilo } from '../src/app.ts';
import { loadConfig } from '../src/config/config.ts';

const [dataDir, requestId] = process.argv.slice(2);
const sigilo = await openSigilo(
  loadConfig({ SIGILO_DATA_DIR: dataDir!, SIGILO_LOG_LEVEL: 'silent', SIGILO_INGEST_WORKERS: '0' }),
);
let bytes = 0;
const sink = new Writable({
  write(chunk: Buffer, _enc, cb) {
    bytes += chunk.length;
    cb();
  },
});
const ctx = { actor: 'bench', role: 'dpo', purpose: 'subject_request', requestId: 'bench-p4' };
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
await sigilo.gate.run(ctx, (s) => sigilo.services.subjectAnswers.exportTo(s, requestId!, sink));
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);
await sigilo.close();
const m = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
process.stdout.write(
  `${JSON.stringify({ seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, bytes, maxRssMb: m ? Number(m[1]) / 1024 : process.resourceUsage().maxRSS / 1024 })}\n`,
);
