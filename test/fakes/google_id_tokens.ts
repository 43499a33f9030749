import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Google's side of ID tokens, played on 127.0.0.1 with a key pair of ours: tokens minted as Google
 * mints them (RS256, the kid of a published key), and the certificate endpoint that publishes the
 * public half with the caching header Google's answers carry.
 */
export class FakeGoogleIdTokens {
  private readonly signer = generateKeyPairSync('rsa', { modulusLength: 2048 });
  private server: Server | null = null;

  constructor(
    private readonly audience: string,
    private readonly kid: string,
  ) {}

  /** These claims over a valid token's; another `key` than ours makes a forged signature. */
  idToken(claims: Record<string, unknown>, key: KeyObject = this.signer.privateKey): string {
    const now = Math.floor(Date.now() / 1000);
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const body = { iss: 'https://accounts.google.com', aud: this.audience, sub: '1234567890', email_verified: true, iat: now, exp: now + 3600, ...claims };
    const signed = `${encode({ alg: 'RS256', typ: 'JWT', kid: this.kid })}.${encode(body)}`;
    return `${signed}.${sign('sha256', Buffer.from(signed), key).toString('base64url')}`;
  }

  /** Starts the certificate endpoint and answers its URL, for MLOOP_GOOGLE_CERTS_URL. */
  async start(): Promise<string> {
    const server = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.setHeader('cache-control', 'public, max-age=3600');
      res.end(JSON.stringify({ [this.kid]: this.signer.publicKey.export({ type: 'spki', format: 'pem' }) }));
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth2/v1/certs`;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
