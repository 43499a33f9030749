import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { writeFraudCsv } from '../../shared/data/synthetic';
import { CLI } from '../e2e/helpers';

/** A small gbdt model of the demo data, trained by `mloop train` into `dir/<name>`, as a person would. */
export async function trainSmallModel(dir: string, name = 'model', params: Record<string, unknown> = { num_iterations: 40 }): Promise<string> {
  const csv = path.join(dir, `${name}.csv`);
  await writeFraudCsv(csv, { rows: 4000, seed: 11 });
  const out = path.join(dir, name);
  const args = [CLI, 'train', csv, '--algorithm', 'gbdt', '--params', JSON.stringify(params), '--out', out, '--json'];
  const result = spawnSync(process.execPath, args, { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME, MLOOP_LOG_LEVEL: 'warn' } });
  if (result.status !== 0) throw new Error(`mloop train failed\n${result.stdout}\n${result.stderr}`);
  return out;
}

export const FRAUD_ROW = { step: 1, type: 'TRANSFER', amount: 181.0, oldbalanceOrg: 181.0, newbalanceOrig: 0, oldbalanceDest: 0, newbalanceDest: 0 };
