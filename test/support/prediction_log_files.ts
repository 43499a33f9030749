import fs from 'node:fs';
import path from 'node:path';
import { decodePredictionParquet, PARQUET_EXTENSION } from '../../shared/pipeline/store/prediction_parquet';
import type { PredictionRecord } from '../../shared/pipeline/store/prediction_records';

/** Every record of the prediction log files under `folder` whose path passes `keep`, as a reader outside mloop's stores would open them. */
export async function loggedRecords(folder: string, keep: (file: string) => boolean = () => true): Promise<PredictionRecord[]> {
  if (!fs.existsSync(folder)) return [];
  const files = (fs.readdirSync(folder, { recursive: true }) as string[]).filter(keep).sort();
  const records: PredictionRecord[] = [];
  for (const file of files) {
    const full = path.join(folder, file);
    if (file.endsWith(PARQUET_EXTENSION)) records.push(...(await decodePredictionParquet(fs.readFileSync(full))));
    else if (file.endsWith('.ndjson')) records.push(...fs.readFileSync(full, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as PredictionRecord));
  }
  return records;
}
