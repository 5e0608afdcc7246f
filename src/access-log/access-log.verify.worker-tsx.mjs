// Entry of the verification worker when Sigilo runs from its TypeScript sources (npm start, tests, benchmarks):
// worker threads do not inherit tsx's loader, so it is registered here. The build runs the compiled .js directly.
import { register } from 'tsx/esm/api';

register();
await import('./access-log.verify.worker.ts');
