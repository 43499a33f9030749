import { startFakeGcs } from '../fakes/gcs_server';

/**
 * The fake Cloud Storage server as a process of its own, for tests that stall their own process:
 * Cloud Storage does not stop answering when a consumer does. Prints its URL, stops on SIGTERM.
 */
void startFakeGcs(process.argv.slice(2)).then((gcs) => {
  process.stdout.write(`listening ${gcs.url}\n`);
  process.once('SIGTERM', () => void gcs.close().then(() => process.exit(0)));
});
