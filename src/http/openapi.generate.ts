/**
 * `npm run openapi`: regenerates the checked-in openapi.json from the route schemas, on a throwaway embedded
 * Sigilo (the document does not depend on any data). The environment is ignored on purpose.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initSigilo, openSigilo } from '../app.ts';
import { loadConfig } from '../config/config.ts';
import { buildApp } from './build-app.ts';
import { OPENAPI_FILE, writeOpenApi } from './openapi.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigilo-openapi-'));
try {
  const config = loadConfig({ SIGILO_DATA_DIR: dir, SIGILO_LOG_LEVEL: 'silent' });
  await initSigilo(config);
  const sigilo = await openSigilo(config);
  const app = await buildApp(sigilo, config);
  await writeOpenApi(app);
  await app.close();
  await sigilo.close();
  process.stdout.write(`wrote ${path.relative(process.cwd(), OPENAPI_FILE)}\n`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
