/**
 * Client options for an emulator or a fake, which need no credentials. Naming Google's universe
 * stops the clients from asking the GCE metadata server (an address off this machine) which universe
 * their credentials belong to before every first call.
 */
export const OFFLINE = { universeDomain: 'googleapis.com' } as const;
