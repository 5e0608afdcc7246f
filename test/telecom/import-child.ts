/** Child process for the crash test: `sigilo import` of a file into the store named by the environment. */
import { openSigilo } from '../../src/app.ts';
import { runImport } from '../../src/cli/commands/import.command.ts';
import { loadConfig } from '../../src/config/config.ts';

const [file, account, batchSize] = process.argv.slice(2) as [string, string, string];
const sigilo = await openSigilo(loadConfig());
try {
  await runImport(sigilo, file, { format: 'asterisk-csv', account, batchSize, json: true, progress: false });
} finally {
  await sigilo.close();
}
