import { emulatorHost } from './hosts';

export interface EmulatedProject {
  project: string;
  region: string;
  dataBucket: string;
  artifactsBucket: string;
  /** Where the fake Cloud Storage JSON API listens. */
  gcsEndpoint: string;
}

/**
 * The environment a process of the loop gets when it runs as on Google Cloud, with Pub/Sub and
 * Firestore on the emulators and Cloud Storage on the fake: what the functions, the train job and
 * the test's own platform share, before each adds its own settings.
 */
export function emulatedGcpEnv(at: EmulatedProject): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    MLOOP_PLATFORM: 'gcp',
    GOOGLE_CLOUD_PROJECT: at.project,
    GOOGLE_CLOUD_REGION: at.region,
    MLOOP_DATA_BUCKET: at.dataBucket,
    MLOOP_ARTIFACTS_BUCKET: at.artifactsBucket,
    MLOOP_GCS_ENDPOINT: at.gcsEndpoint,
    PUBSUB_EMULATOR_HOST: emulatorHost('pubsub'),
    FIRESTORE_EMULATOR_HOST: emulatorHost('firestore'),
  };
}
