/**
 * `npm run cert`: writes a self-signed development certificate to certs/ and prints how to use it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { makeDevCert } from './dev-cert.js';

const dir = resolve(process.argv[2] ?? 'certs');
mkdirSync(dir, { recursive: true });
const { cert, key } = await makeDevCert();
const certFile = resolve(dir, 'dev-cert.pem');
const keyFile = resolve(dir, 'dev-key.pem');
writeFileSync(certFile, cert);
writeFileSync(keyFile, key, { mode: 0o600 });
console.log(`Wrote ${certFile} and ${keyFile} (localhost, 127.0.0.1, ::1; valid 365 days).

Start the gateway with TLS:
  TLS_CERT_FILE=${certFile} TLS_KEY_FILE=${keyFile} npm start

Let Node clients trust it (set before the client process starts):
  NODE_EXTRA_CA_CERTS=${certFile} node your-client.js
  # openai SDK: new OpenAI({ baseURL: 'https://localhost:8000/v1', apiKey: 'any' })`);
