import { Readable } from 'node:stream';
import { profileCsv, type DatasetProfile } from '../../shared/data/csv_profile';
import { inferSchema, type InferOptions, type InferredSchema } from '../../shared/data/schema';

/** A CSV file of these rows, every field quoted so that any value survives. */
export function csvText(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => cells.map((c) => `"${c.replaceAll('"', '""')}"`).join(',');
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

export const streamOf = (text: string | Buffer, chunk = 0): Readable => {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  if (!chunk) return Readable.from([bytes]);
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunk) parts.push(bytes.subarray(i, i + chunk));
  return Readable.from(parts);
};

export function profileOf(header: string[], rows: string[][], opts: { target: string; timeColumn?: string }): Promise<DatasetProfile> {
  return profileCsv(streamOf(csvText(header, rows)), opts);
}

export async function schemaOf(header: string[], rows: string[][], opts: InferOptions): Promise<InferredSchema> {
  const profile = await profileOf(header, rows, opts);
  return inferSchema(profile.columns, opts);
}
