import type { IncomingHttpHeaders } from 'node:http';
import type { OAuth2Client } from 'google-auth-library';
import { apiKeyMatches, presentedKey } from '../core/auth';
import type { Config } from '../core/config';
import { errorMessage, MloopError } from '../core/errors';

/**
 * Who may call the scoring routes: the holder of the API key, or a Google identity on the allowed list
 * presenting an ID token minted for this service (`gcloud auth print-identity-token --audiences=...`),
 * verified with Google's signing certificates. No credentials or a bad one is a 401; a genuine identity
 * that is not on the list is a 403.
 */
export type Authenticate = (headers: IncomingHttpHeaders) => Promise<void>;

const CACHE_LIMIT = 10_000;

/** Null when neither an API key nor identities are configured: then every route is open. */
export function createAuthenticator(apiKey: string | undefined, identities: Config['identities']): Authenticate | null {
  if (!apiKey && identities.allowed.length === 0) return null;
  const allowed = new Set(identities.allowed);
  let client: OAuth2Client | undefined;
  // A verified token is good until it expires: RSA verification need not run on every request.
  const verified = new Map<string, { email: string; expiresAt: number }>();

  const identityOf = async (token: string): Promise<string> => {
    const cached = verified.get(token);
    if (cached && cached.expiresAt > Date.now()) return cached.email;
    if (!client) {
      // Loaded only when identities are configured: the library costs start-up time otherwise.
      const { OAuth2Client: Client } = require('google-auth-library') as typeof import('google-auth-library');
      client = new Client({
        // Node's own fetch: gaxios would otherwise import node-fetch dynamically, which a vm sandbox (Jest) cannot.
        transporterOptions: { fetchImplementation: fetch },
        ...(identities.certsUrl ? { endpoints: { oauth2FederatedSignonPemCertsUrl: identities.certsUrl } } : {}),
      });
    }
    let payload;
    try {
      payload = (await client.verifyIdToken({ idToken: token, audience: identities.audience })).getPayload();
    } catch (err) {
      throw new MloopError('unauthenticated', `the Google ID token was not accepted: ${errorMessage(err).split('\n')[0].slice(0, 200)}`);
    }
    if (!payload?.email || payload.email_verified !== true) {
      throw new MloopError('permission_denied', 'the Google ID token carries no verified email: mint it with an identity that has one');
    }
    const email = payload.email.toLowerCase();
    if (verified.size >= CACHE_LIMIT) verified.clear();
    verified.set(token, { email, expiresAt: (payload.exp ?? 0) * 1000 });
    return email;
  };

  return async (headers) => {
    const credential = presentedKey(headers);
    if (!credential) {
      throw new MloopError('unauthenticated', `missing credentials: send Authorization: Bearer <${apiKey ? 'API key' : ''}${apiKey && allowed.size ? ' or ' : ''}${allowed.size ? 'Google ID token' : ''}>`);
    }
    if (apiKey && apiKeyMatches(credential, apiKey)) return;
    if (allowed.size === 0 || credential.split('.').length !== 3) {
      throw new MloopError('unauthenticated', 'wrong API key: send Authorization: Bearer <key>');
    }
    const email = await identityOf(credential);
    if (!allowed.has(email)) throw new MloopError('permission_denied', `${email} may not call this service`);
  };
}
