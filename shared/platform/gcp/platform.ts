import { Firestore } from '@google-cloud/firestore';
import { ExecutionsClient, JobsClient, RevisionsClient, ServicesClient, TasksClient } from '@google-cloud/run';
import { credentials } from '@grpc/grpc-js';
import { OAuth2Client } from 'google-auth-library';
import type { Config } from '../../core/config';
import { invalid } from '../../core/errors';
import type { Logger } from '../../core/log';
import { systemClock } from '../clock';
import type { Platform } from '../ports';
import { FirestoreDocumentStore } from './document_store';
import { PubSubEventBus } from './event_bus';
import { CloudRunJobLauncher } from './job_launcher';
import { GcsObjectStore } from './object_store';
import { OFFLINE } from './offline';
import { CloudRunServiceDeployer } from './service_deployer';
import { BigQueryWarehouse } from './warehouse';

/**
 * The Google Cloud adapters, with the deployment's credentials (Application Default Credentials) or,
 * when `config.gcpEndpoints` says so, against emulators and fakes without any. Clients connect on
 * first use, so building a platform is cheap.
 */
export function createGcpPlatform(config: Config, logger: Logger): Platform {
  const project = config.gcpProject;
  if (!project) {
    throw invalid('MLOOP_PLATFORM=gcp needs GOOGLE_CLOUD_PROJECT: the project of the buckets, topics, Firestore database and Cloud Run job');
  }
  const endpoints = config.gcpEndpoints;
  const location = `projects/${project}/locations/${config.gcpRegion}`;
  const run = endpoints.run ? runEmulatorOptions(endpoints.run) : {};

  const db = new Firestore({
    projectId: project,
    // Documents are built like JSON, where a field set to undefined is simply absent.
    ignoreUndefinedProperties: true,
    ...(endpoints.firestore && { host: endpoints.firestore, ssl: false, ...OFFLINE }),
  });
  const bus = new PubSubEventBus({
    projectId: project,
    emulatorHost: endpoints.pubsub,
    defaults: { maxDeliveryAttempts: config.eventMaxAttempts, ackDeadlineSeconds: config.ackDeadlineSeconds },
    logger,
  });
  const jobs = new CloudRunJobLauncher({
    jobs: new JobsClient(run),
    executions: new ExecutionsClient(run),
    tasks: new TasksClient(run),
    job: resourceName(config.gcpTrainJob, `${location}/jobs/`),
    defaultTimeoutSeconds: config.jobTimeoutSeconds,
    logger,
  });
  const services = new ServicesClient(run);
  const revisions = new RevisionsClient(run);
  const deployer = new CloudRunServiceDeployer({
    services,
    revisions,
    service: resourceName(config.gcpScoreService, `${location}/services/`),
    logger,
  });

  let closing: Promise<void> | undefined;
  return {
    objects: new GcsObjectStore({ projectId: project, ...(endpoints.storage && { apiEndpoint: endpoints.storage }) }),
    bus,
    docs: new FirestoreDocumentStore(db),
    jobs,
    deployer,
    clock: systemClock,
    warehouse: new BigQueryWarehouse({ projectId: project, ...(endpoints.bigquery && { apiEndpoint: endpoints.bigquery, authClient: offlineAuth(), ...OFFLINE }) }),
    close: () =>
      (closing ??= (async () => {
        await bus.close();
        await jobs.close();
        await services.close();
        await revisions.close();
        await db.terminate();
      })()),
  };
}

/**
 * Credentials for a fake, which checks none: the BigQuery client, unlike Cloud Storage's, asks
 * google-auth-library for a token even at a custom endpoint, and would look for the metadata server.
 */
function offlineAuth(): OAuth2Client {
  const client = new OAuth2Client();
  client.setCredentials({ access_token: 'offline', expiry_date: Date.now() + 365 * 86_400_000 });
  return client;
}

/** Terraform may hand over a full resource name (`projects/.../services/x`) or just the name. */
function resourceName(name: string, prefix: string): string {
  return name.startsWith('projects/') ? name : `${prefix}${name}`;
}

/** A plaintext gRPC endpoint (`host:port`), as the tests' fake Cloud Run server listens. */
function runEmulatorOptions(endpoint: string) {
  const [host, port] = endpoint.split(':');
  return { apiEndpoint: host, port: Number(port), sslCreds: credentials.createInsecure(), ...OFFLINE };
}
