/**
 * The simulator's TLS certificate: self-signed, EC P-256, SHA-256, valid for `localhost` (DNS SAN)
 * and `127.0.0.1` / `::1` (IP SANs). Clients trust it by configuration (the PEM as `ca`), never by turning
 * verification off. Validity uses real time, not the simulator's clock: TLS peers check it against
 * the system clock.
 */
import { generate } from 'selfsigned';

export interface TlsMaterial {
  /** PEM certificate; also the CA a client must trust. */
  cert: string;
  /** PEM private key. */
  key: string;
}

const DAY_MS = 86_400_000;

export async function createSelfSignedCertificate(): Promise<TlsMaterial> {
  const now = Date.now();
  const pems = await generate(
    [
      { name: 'commonName', value: 'localhost' },
      { name: 'organizationName', value: 'MDE API simulator' },
    ],
    {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      notBeforeDate: new Date(now - DAY_MS),
      notAfterDate: new Date(now + 365 * DAY_MS),
      extensions: [
        { name: 'basicConstraints', cA: false, critical: true },
        { name: 'keyUsage', digitalSignature: true, critical: true },
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
    },
  );
  return { cert: pems.cert, key: pems.private };
}
