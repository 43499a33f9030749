import { BigQuery, type BigQueryOptions, type Job } from '@google-cloud/bigquery';
import { MloopError } from '../../core/errors';
import type { ExportRequest, ExportResult, Warehouse } from '../ports';
import { fromHttp } from './errors';

/** How long one jobs.getQueryResults call may hold the connection waiting for the job (BigQuery caps it near 200 s). */
const WAIT_MS = 10_000;

interface JobStatus {
  state?: string;
  errorResult?: { reason?: string; message?: string; location?: string };
}

interface JobResource {
  status?: JobStatus;
  statistics?: { query?: { exportDataStatistics?: { fileCount?: string; rowCount?: string } } };
}

/**
 * BigQuery through its REST API: the statement is inserted as a query job under the caller's job id
 * (jobs.insert), waited on with jobs.getQueryResults (which holds the call until the job is done or
 * its timeout passes), and its outcome read with jobs.get. A job id that already exists is the same
 * request delivered again: the adapter waits on that job rather than failing or running it twice.
 */
export class BigQueryWarehouse implements Warehouse {
  private readonly bigquery: BigQuery;

  constructor(options: BigQueryOptions) {
    this.bigquery = new BigQuery(options);
  }

  async exportQuery(request: ExportRequest): Promise<ExportResult> {
    const job = await this.insert(request);
    for (;;) {
      const [, , response] = await job.getQueryResults({ maxResults: 0, timeoutMs: WAIT_MS, autoPaginate: false }).catch((err: unknown) => {
        // A failed job answers getQueryResults with its error: jobs.get below reports it whole.
        if ((err as { code?: unknown }).code === 400) return [null, null, { jobComplete: true }] as const;
        throw fromHttp(err, `waiting for BigQuery job ${request.jobId}`);
      });
      if ((response as { jobComplete?: boolean } | null)?.jobComplete) break;
    }
    const [metadata] = (await job.getMetadata().catch((err: unknown) => {
      throw fromHttp(err, `reading BigQuery job ${request.jobId}`);
    })) as unknown as [JobResource];
    const status = metadata.status ?? {};
    if (status.state !== 'DONE') throw new MloopError('unavailable', `BigQuery job ${request.jobId} is ${status.state ?? 'in an unknown state'} after its results were complete`);
    if (status.errorResult) {
      const { reason, message } = status.errorResult;
      throw new MloopError('failed_precondition', `BigQuery job ${request.jobId} failed (${reason ?? 'unknown reason'}): ${message ?? 'no message'}`, {
        bigquery_reason: reason ?? null,
      });
    }
    const stats = metadata.statistics?.query?.exportDataStatistics;
    return { jobId: request.jobId, files: Number(stats?.fileCount ?? 0), rows: stats?.rowCount === undefined ? null : Number(stats.rowCount) };
  }

  private async insert(request: ExportRequest): Promise<Job> {
    try {
      const [job] = await this.bigquery.createQueryJob({ query: request.statement, jobId: request.jobId, ...(request.location && { location: request.location }) });
      return job;
    } catch (err) {
      if ((err as { code?: unknown }).code === 409) return this.bigquery.job(request.jobId, request.location ? { location: request.location } : {});
      throw fromHttp(err, `starting BigQuery job ${request.jobId}`);
    }
  }
}
