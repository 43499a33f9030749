import { createHash } from 'node:crypto';
import { MloopError } from '../../core/errors';
import { joinCsv } from '../../data/csv_join';
import { composeImageArchives } from '../../data/images/compose';
import type { ObjectMetadata } from '../../platform/ports';
import type { Context } from '../context';
import { imageSpecOf, type DatasetConfig, type DatasetKind } from '../dataset_config';
import { storeOf } from '../store';
import type { DatasetDoc } from '../store/documents';
import { readArchiveObject } from './image_archive';
import { changedObject, datasetFormat, openDatasetCsv } from './dataset_objects';

/**
 * mloop.json's `compose: "all"`: a model trains on the union of every accepted file under
 * datasets/<model>/ rather than on the newest alone, as when two sources are merged (PaySim and a
 * second fraud source), or an archive adds a class to the images already there. The union is written
 * once to `composed/<model>/` in the data bucket (outside datasets/, so it starts no run of its own)
 * and then validated, recorded and trained exactly as an upload is; the train job reads it as any
 * dataset. Its members are the uploads as recorded, one per object name (the newest), still holding
 * the bytes they were recorded with.
 *
 * - CSV: the rows of every member whose columns are the oldest member's (names and order), headers
 *   dropped after the first. Its version is a hash of the members' versions, sorted.
 * - Images: every member's labelled images in one tar with a labels.csv (data/images/compose.ts); its
 *   version is the images' version, as an archive's (sorted class and image hashes), so the same images
 *   composed from other archives are the same version.
 */
export const COMPOSE_PREFIX = 'composed/';

/** The accepted uploads of one kind a composition is made of, oldest first. */
export async function composeMembers(ctx: Context, model: string, kind: DatasetKind): Promise<DatasetDoc[]> {
  const uploads = (await storeOf(ctx).datasets.acceptedUploads(model)).filter((d) => (d.kind ?? 'csv') === kind);
  const newest = new Map<string, DatasetDoc>();
  for (const doc of uploads) newest.set(doc.object.name, doc);
  const live = await Promise.all([...newest.values()].map(async (doc) => ((await changedObject(ctx, doc)) === null ? doc : null)));
  return live.filter((d): d is DatasetDoc => d !== null).sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : 0));
}

/** Why a CSV with this header cannot join the others (whose schema is the oldest's), or null when it can. */
export function csvSchemaProblem(members: readonly DatasetDoc[], objectName: string, header: readonly string[]): string | null {
  const reference = members.find((m) => m.object.name !== objectName && m.header);
  if (!reference?.header) return null;
  const what = columnDifference(reference.header, header);
  if (!what) return null;
  return `its columns do not match ${reference.object.name}'s, whose rows it would be trained with (compose: "all"): it ${what}; expected ${reference.header.map((c) => c.trim()).join(',')}`;
}

/** How a header differs from the one wanted (`lacks a and adds b`, or `has them in another order`), or null when it does not. */
export function columnDifference(wantedHeader: readonly string[], givenHeader: readonly string[]): string | null {
  const wanted = wantedHeader.map((c) => c.trim());
  const given = givenHeader.map((c) => c.trim());
  if (wanted.join('\u0000') === given.join('\u0000')) return null;
  const missing = wanted.filter((c) => !given.includes(c));
  const extra = given.filter((c) => !wanted.includes(c));
  return [missing.length ? `lacks ${missing.join(', ')}` : '', extra.length ? `adds ${extra.join(', ')}` : ''].filter(Boolean).join(' and ') || 'has them in another order';
}

/** Validates a composed object as an upload is validated (the ingest's own path), with the version a CSV composition is named by. */
export type ValidateComposed = (stat: ObjectMetadata, version: string | null) => Promise<DatasetDoc>;

/**
 * The dataset a compose-"all" upload trains on: the upload itself while it is the only member, else the
 * union, recorded once (a redelivered event finds it).
 */
export async function composedDataset(ctx: Context, upload: DatasetDoc, config: DatasetConfig, validate: ValidateComposed): Promise<DatasetDoc> {
  const kind = upload.kind ?? 'csv';
  const members = await composeMembers(ctx, upload.model, kind);
  const leftOut: NonNullable<DatasetDoc['left_out']> = [];
  const kept =
    kind === 'csv'
      ? members.filter((m) => {
          // Members are joined byte by byte as CSV text; a Parquet file's bytes cannot be, so it trains alone.
          const problem = datasetFormat(m) === 'parquet' ? 'compose "all" joins CSV files; a Parquet upload trains on its own' : csvSchemaProblem(members.slice(0, 1), '', m.header ?? []);
          if (problem) leftOut.push({ version: m.version, object: m.object.name, reason: problem });
          return !problem;
        })
      : members;
  if (kept.length <= 1 || !kept.some((m) => m.version === upload.version)) return upload;
  const sorted = [...kept].sort((a, b) => (a.version < b.version ? -1 : 1));
  const setVersion = createHash('sha256')
    .update(`compose:all\n${sorted.map((m) => m.version).join('\n')}\n`)
    .digest('hex')
    .slice(0, 16);
  const { datasets } = storeOf(ctx);
  if (kind === 'csv') {
    const existing = await datasets.get(upload.model, setVersion);
    if (existing) return existing;
  }
  const name = `${COMPOSE_PREFIX}${upload.model}/${setVersion}.${kind === 'csv' ? 'csv' : 'tar'}`;
  const stat = (await ctx.platform.objects.stat(ctx.config.dataBucket, name)) ?? (await writeComposed(ctx, name, sorted, kind, config));
  const doc = await validate(stat, kind === 'csv' ? setVersion : null);
  const listed = sorted.map((m) => ({ version: m.version, object: m.object.name, ...(kind === 'csv' ? { rows: m.rows } : { images: m.images }) }));
  const composed: DatasetDoc = { ...doc, members: listed, ...(leftOut.length ? { left_out: leftOut } : {}) };
  const stored = (await datasets.get(upload.model, composed.version)) ?? (await datasets.createOrGet(composed));
  ctx.log.info({ model: upload.model, dataset_version: stored.version, members: listed.length, left_out: leftOut.length, status: stored.status }, 'composed dataset recorded');
  return stored;
}

async function writeComposed(ctx: Context, name: string, members: DatasetDoc[], kind: DatasetKind, config: DatasetConfig): Promise<ObjectMetadata> {
  const { objects } = ctx.platform;
  const put = (source: AsyncIterable<Buffer>, contentType: string) => objects.putStream(ctx.config.dataBucket, name, source, { contentType, ifGenerationMatch: '0' });
  try {
    if (kind === 'csv') return await put(
        joinCsv(
          members.map((member) => ({
            // a dataset in parts streams as one CSV, each part checked against its own recorded hash
            open: () => openDatasetCsv(ctx, member, { verify: true }),
            // a member overwritten meanwhile fails the write (its own upload composes again)
            verify: (sha256: string) => {
              if (!member.parts && sha256.slice(0, 16) !== member.version) {
                throw new MloopError('unavailable', `${member.object.name} changed while the composed dataset was written from it; it is composed again on redelivery`);
              }
            },
          })),
        ),
        'text/csv',
      );
    const archive = composeImageArchives(
      members.map((m) => ({ id: m.version, source: () => readArchiveObject(ctx, m.object) })),
      imageSpecOf(config),
    );
    const [stat] = await Promise.all([put(archive.stream as AsyncIterable<Buffer>, 'application/x-tar'), archive.done]);
    return stat;
  } catch (err) {
    // of two deliveries writing the same composition, the second finds the first's object
    const existing = err instanceof MloopError && err.code === 'failed_precondition' ? await objects.stat(ctx.config.dataBucket, name) : null;
    if (existing) return existing;
    throw err;
  }
}
