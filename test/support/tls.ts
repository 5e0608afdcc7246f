/** Test TLS material: a throwaway self-signed P-256 certificate for localhost and 127.0.0.1 (openssl CLI). */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

/** Writes `<name>.pem` (certificate) and `<name>.key` (private key) into `dir`; valid one day. */
export function selfSignedCertificate(dir: string, name = 'cert'): { certFile: string; keyFile: string } {
  const certFile = path.join(dir, `${name}.pem`);
  const keyFile = path.join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore' },
  );
  return { certFile, keyFile };
}
