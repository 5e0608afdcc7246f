#!/usr/bin/env node
// The `sigilo` command. Runs the production build (dist/, from `npm run build`) when it exists, else the
// TypeScript sources through tsx, so a fresh clone needs no build step.
//
// The command runs in a child process (it needs its own V8 flags). SIGINT, SIGTERM and SIGHUP sent to this
// process are passed on to it, and this process ends with the child's status, so the PID an operator sees
// stops the server. Under `npx`/`npm exec`, npm signals only the shell it started, and dash dies without
// passing the signal on: when that parent goes away, the child is asked to stop (SIGTERM) as well.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const built = path.join(root, 'dist/cli/main.js');
const args = process.argv.slice(2);
// An import streams its input: a small heap keeps a multi-gigabyte file within a few hundred MB of memory.
// Node 24's V8 sizes the young generation far larger than Node 20's did (P7: 327 MB peak RSS against 241 MB with
// 16 MB semi-spaces, no slower), so the semi-space is pinned to Node 20's default too.
const IMPORT_V8_FLAGS = ['--max-old-space-size=160', '--max-semi-space-size=16'];
const v8 = args[0] === 'import' ? IMPORT_V8_FLAGS : [];
const entry = fs.existsSync(built) ? [built] : ['--import', 'tsx', path.join(root, 'src/cli/main.ts')];
const child = spawn(process.execPath, [...v8, ...entry, ...args], { stdio: 'inherit' });

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const forward = (signal) => {
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
};
for (const signal of FORWARDED) process.on(signal, forward);

let watch;
if (process.env.npm_lifecycle_event !== undefined) {
  const parent = process.ppid;
  watch = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(watch);
      forward('SIGTERM');
    }
  }, 250);
}

child.on('error', () => {
  process.stderr.write('sigilo: could not start node\n');
  process.exit(1);
});
child.on('exit', (code, signal) => {
  if (watch) clearInterval(watch);
  for (const s of FORWARDED) process.off(s, forward);
  // A child killed by a signal: end the same way, so the caller sees what happened.
  if (signal) process.kill(process.pid, signal);
  else process.exit(code ?? 1);
});
