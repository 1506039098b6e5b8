/**
 * A self-signed development certificate for `localhost` and `127.0.0.1`, so clients that only
 * dial `wss://` (the official openai SDK) can reach a local gateway. Development use only.
 */
import { generate } from 'selfsigned';

/** PEM certificate and key. */
export interface DevCert {
  cert: string;
  key: string;
}

/** Days a development certificate stays valid. */
const VALID_DAYS = 365;

/** Generates a certificate that is its own CA, valid for localhost, 127.0.0.1 and ::1. */
export async function makeDevCert(): Promise<DevCert> {
  const notAfterDate = new Date(Date.now() + VALID_DAYS * 86_400_000);
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}
