// Test harness: a self-signed certificate made with openssl for the proxies' TLS listeners (localhost and 127.0.0.1).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findBinary } from './binaries.ts';

/** The files of a self-signed certificate. */
export interface TlsFiles {
  /** PEM certificate (nginx `ssl_certificate`). */
  readonly certPath: string;
  /** PEM private key (nginx `ssl_certificate_key`). */
  readonly keyPath: string;
  /** Certificate then key in one file (HAProxy `crt`). */
  readonly pemPath: string;
  /** The certificate text, to trust as the only CA of a test client. */
  readonly certPem: string;
}

/**
 * Writes a one-day self-signed P-256 certificate for `localhost` and `127.0.0.1` into `dir` (cert.pem, key.pem,
 * site.pem). Synchronous: a P-256 key takes milliseconds.
 */
export function selfSignedCertificate(dir: string): TlsFiles {
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  const pemPath = join(dir, 'site.pem');
  execFileSync(
    findBinary('openssl'),
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 },
  );
  const certPem = readFileSync(certPath, 'utf8');
  writeFileSync(pemPath, certPem + readFileSync(keyPath, 'utf8'));
  return { certPath, keyPath, pemPath, certPem };
}
