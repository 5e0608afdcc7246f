#!/usr/bin/env node
// The `sigilo` command. Runs the production build (dist/, from `npm run build`) when it exists, else the
// TypeScript sources through tsx, so a fresh clone needs no build step.
import { spawnSync } from 'node:child_process';
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
const res = spawnSync(process.execPath, [...v8, ...entry, ...args], { stdio: 'inherit' });
process.exit(res.status ?? 1);
