import type { Readable } from 'node:stream';
import type { ServedModels } from '../core/served_models';

/**
 * The interfaces the pipeline talks to. Each has a local adapter (files, SQLite, child processes) and a
 * Google Cloud adapter (Cloud Storage, Pub/Sub, Firestore, Cloud Run); one contract suite runs over both.
 */

// ---------------------------------------------------------------- objects

export interface ObjectMetadata {
  bucket: string;
  name: string;
  /** Monotonic per object name, as a decimal string (Cloud Storage's int64 generation). */
  generation: string;
  /** Base64 MD5 of the content, as Cloud Storage reports `md5Hash`. */
  md5Hash: string;
  size: number;
  contentType: string;
  updated: string;
}

export interface PutOptions {
  contentType?: string;
  /** Write only if the live generation is this one; `'0'` means "only if the object does not exist". */
  ifGenerationMatch?: string;
  /**
   * false: the object may be lost if the machine (not the process) stops within seconds of the write. The
   * local store then leaves the write to the page cache instead of waiting for the disk; Cloud Storage
   * has every write durable anyway. For data that is a sample whose unwritten buffer a crash loses anyway.
   */
  durable?: boolean;
  /**
   * false: the writer spends no CPU on checksums of the body. Cloud Storage then stores it without the
   * client's MD5 and CRC32C to check the upload against (it still computes md5Hash on its side); the
   * local store, standing in for it, hashes the file the first time `stat`, `list` or the bucket watcher
   * reads its metadata. What `put` returns then has md5Hash '' on the local store. For data written often
   * on a server's request path, that is a sample anyway: the prediction log.
   */
  checksum?: boolean;
}

export interface ByteRange {
  start: number;
  /** Exclusive. */
  end: number;
  generation?: string;
}

export interface ObjectStore {
  put(bucket: string, name: string, data: Buffer | string, options?: PutOptions): Promise<ObjectMetadata>;
  /** Uploads a local file by streaming it, so large datasets never sit in memory. */
  putFile(bucket: string, name: string, localPath: string, options?: PutOptions): Promise<ObjectMetadata>;
  /** Uploads bytes as they are produced (a dataset derived from another), so they never sit in memory whole. */
  putStream(bucket: string, name: string, source: AsyncIterable<Buffer>, options?: PutOptions): Promise<ObjectMetadata>;
  get(bucket: string, name: string): Promise<Buffer>;
  /**
   * With a range, only bytes [start, end) of the given generation: how a Parquet file is read (its footer,
   * then one row group at a time) without downloading it whole. A generation other than the live one is not_found.
   */
  createReadStream(bucket: string, name: string, range?: ByteRange): Promise<Readable>;
  /** null when the object does not exist. */
  stat(bucket: string, name: string): Promise<ObjectMetadata | null>;
  list(bucket: string, prefix?: string): Promise<ObjectMetadata[]>;
  /**
   * The names alone, in list's order: for a reader that fetches each object anyway (the monitor over the
   * prediction log), Cloud Storage sends less, and the local store hashes no unhashed object for it.
   */
  listNames(bucket: string, prefix?: string): Promise<string[]>;
  delete(bucket: string, name: string, options?: { ifGenerationMatch?: string }): Promise<void>;
}

// ---------------------------------------------------------------- events

export interface BusMessage<T = unknown> {
  id: string;
  topic: string;
  data: T;
  attributes: Record<string, string>;
  publishTime: string;
  /** 1 on first delivery. */
  deliveryAttempt: number;
}

/** Resolving acknowledges the message; throwing asks for redelivery with backoff. */
export type MessageHandler = (message: BusMessage) => Promise<void>;

export interface SubscriptionOptions {
  /** Deliveries before the message moves to the dead-letter list. */
  maxDeliveryAttempts?: number;
  ackDeadlineSeconds?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export interface PublishOptions {
  attributes?: Record<string, string>;
  orderingKey?: string;
}

export interface DeadLetter {
  id: string;
  subscription: string;
  topic: string;
  data: unknown;
  attributes: Record<string, string>;
  deliveryAttempts: number;
  lastError: string;
  deadLetteredAt: string;
}

export interface Subscription {
  close(): Promise<void>;
}

export interface EventBus {
  /** Declares a durable subscription; messages published after this call are kept for it. */
  ensureSubscription(topic: string, subscription: string, options?: SubscriptionOptions): Promise<void>;
  publish(topic: string, data: unknown, options?: PublishOptions): Promise<string>;
  /** Starts delivering the subscription's messages to the handler, at least once each. */
  subscribe(subscription: string, handler: MessageHandler): Promise<Subscription>;
  deadLetters(subscription?: string): Promise<DeadLetter[]>;
  /** Puts a dead letter back on its subscription with a fresh attempt count. */
  redeliver(deadLetterId: string): Promise<void>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------- documents

export type Doc = Record<string, unknown>;

export type WhereOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in';

export interface Query {
  where?: Array<[field: string, op: WhereOp, value: unknown]>;
  orderBy?: Array<[field: string, direction: 'asc' | 'desc']>;
  /**
   * A cursor, as Firestore's `startAfter`: the values of the last document seen, one per `orderBy`
   * field (strings or numbers), then its id, the order's tie-breaker. Documents inserted later never
   * shift what comes after it, as an offset would.
   */
  startAfter?: { values: Array<string | number>; id: string };
  limit?: number;
}

export interface StoredDoc<T = Doc> {
  id: string;
  data: T;
}

/** Reads first, then writes, as in Firestore; the whole callback is retried on contention. */
export interface Transaction {
  get<T = Doc>(collection: string, id: string): Promise<T | null>;
  query<T = Doc>(collection: string, query: Query): Promise<Array<StoredDoc<T>>>;
  set(collection: string, id: string, data: Doc): void;
  /** Fails the transaction with `already_exists` if the document exists. */
  create(collection: string, id: string, data: Doc): void;
  /** Shallow merge of top-level fields; fails with `not_found` if the document is missing. */
  update(collection: string, id: string, patch: Doc): void;
  delete(collection: string, id: string): void;
}

export interface DocumentStore {
  get<T = Doc>(collection: string, id: string): Promise<T | null>;
  set(collection: string, id: string, data: Doc): Promise<void>;
  /** Creates the document; false (and no write) when it already exists. */
  create(collection: string, id: string, data: Doc): Promise<boolean>;
  /** Shallow merge of top-level fields; throws `not_found` if the document is missing. */
  update(collection: string, id: string, patch: Doc): Promise<void>;
  delete(collection: string, id: string): Promise<void>;
  query<T = Doc>(collection: string, query?: Query): Promise<Array<StoredDoc<T>>>;
  runTransaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
}

// ---------------------------------------------------------------- jobs

export interface JobSpec {
  runId: string;
  attempt: number;
  /** Overrides on top of the job's configured environment, as Cloud Run Job overrides. */
  env: Record<string, string>;
  taskCount?: number;
  timeoutSeconds?: number;
}

export type ExecutionState = 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface Execution {
  id: string;
  state: ExecutionState;
  startedAt: string;
  finishedAt?: string;
  exitCode?: number;
  /** Why it failed: exit code, signal, timeout, lost process. */
  error?: string;
  logUri?: string;
}

export interface JobLauncher {
  launch(spec: JobSpec): Promise<Execution>;
  /** null when the launcher has never heard of the execution. */
  status(executionId: string): Promise<Execution | null>;
  cancel(executionId: string): Promise<void>;
  /** Where the execution's output is; null when the launcher has never heard of it. */
  log(executionId: string, options?: LogReadOptions): Promise<ExecutionLog | null>;
  close(): Promise<void>;
}

export interface LogReadOptions {
  /** Bytes from the start of a text log; without it, its last `maxBytes`. */
  offset?: number;
  maxBytes?: number;
}

/**
 * An execution's output: locally the text its process wrote (a slice of it, to read on from
 * `nextOffset`); on Google Cloud the Cloud Logging filter that selects its entries, and a console link.
 */
export type ExecutionLog =
  | { kind: 'text'; text: string; offset: number; nextOffset: number; size: number }
  | { kind: 'cloud_logging'; filter: string; url: string };

// ---------------------------------------------------------------- serving, time

/** What the scoring service should serve: one set of versions, or a canary beside the stable set. */
export interface ServingRollout {
  target: ServedModels;
  /** `percent` of the requests go to `target`, the rest to `stable`, until the canary is completed or aborted. */
  canary?: { percent: number; stable: ServedModels };
}

export interface TrafficShare {
  revision: string;
  percent: number;
}

export interface Deployment {
  /** The revision serving the target. */
  revision: string;
  traffic: TrafficShare[];
  /** Revisions this call had to create; none when the versions asked for are served by one already. */
  created: string[];
}

export interface ServiceDeployer {
  /**
   * Routes the scoring service's traffic to revisions serving exactly these versions, creating a
   * revision only for a set no revision serves yet (so a rollback or an aborted canary only moves
   * traffic). Asking for what is served changes nothing.
   */
  deploy(rollout: ServingRollout): Promise<Deployment>;
}

export interface Clock {
  now(): Date;
  /** now() in milliseconds, without a Date: for a caller on every request. Absent: now().getTime(). */
  nowMs?(): number;
  sleep(ms: number): Promise<void>;
}

export interface WatchOptions {
  bucket: string;
  prefix?: string;
}

/** Announces the objects of a bucket on `object-finalized`, as Eventarc does for Cloud Storage. */
export interface BucketWatcher {
  start(): void;
  /** One pass now; the number of objects announced. */
  scanOnce(): Promise<number>;
  stop(): Promise<void>;
}

// ---------------------------------------------------------------- warehouse

export interface ExportRequest {
  /**
   * The job's id: the same request names the same job, so a redelivered request waits on the job the
   * first one started instead of running the query twice.
   */
  jobId: string;
  /** A GoogleSQL `EXPORT DATA ... AS SELECT` statement (see pipeline/sources/bigquery_sql.ts). */
  statement: string;
  /** Where the dataset's tables are (`EU`, `US`, a region); the job runs there. */
  location?: string;
}

export interface ExportResult {
  jobId: string;
  /** What the job reports of the export; files and rows are what the statement wrote. */
  files: number;
  rows: number | null;
}

/**
 * A SQL engine past one machine (BigQuery on Google Cloud): joins, filters and sampling happen there,
 * and only the result reaches the pipeline, as Parquet files in the data bucket.
 */
export interface Warehouse {
  /** Resolves once the job is done; a failed job throws its own reason and message (`failed_precondition`). */
  exportQuery(request: ExportRequest): Promise<ExportResult>;
}

export interface Platform {
  objects: ObjectStore;
  bus: EventBus;
  docs: DocumentStore;
  jobs: JobLauncher;
  deployer: ServiceDeployer;
  clock: Clock;
  /** Only on Google Cloud: a model whose mloop.json names a BigQuery source trains there alone. */
  warehouse?: Warehouse;
  /**
   * Only where nothing announces new objects by itself (the local platform): on Google Cloud, Eventarc
   * delivers the finalize events and there is nothing to watch.
   */
  watchBucket?(options: WatchOptions): BucketWatcher;
  close(): Promise<void>;
}
