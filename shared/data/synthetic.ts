import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { seededRandom, type Random } from './random';
import { writeParquetFile, type ParquetColumnSpec } from './parquet/write';

/**
 * PaySim-like mobile-money transactions for demos and tests. Fraud happens only in TRANSFER and
 * CASH_OUT, mostly as an account taken over and emptied into a destination whose balance the ledger does
 * not update. The label is drawn from a noisy logistic of those observable signals and a few labels are
 * flipped, so a model can learn it well but not perfectly — a ROC AUC of 1.0 would hide bugs.
 */
export const FRAUD_COLUMNS = [
  'step', 'type', 'amount', 'nameOrig', 'oldbalanceOrg', 'newbalanceOrig',
  'nameDest', 'oldbalanceDest', 'newbalanceDest', 'isFraud',
] as const;

export const TX_TYPES = ['PAYMENT', 'TRANSFER', 'CASH_OUT', 'DEBIT', 'CASH_IN'] as const;
export type TxType = (typeof TX_TYPES)[number];

export interface FraudRow {
  step: number;
  type: TxType;
  amount: number;
  nameOrig: string;
  oldbalanceOrg: number;
  newbalanceOrig: number;
  nameDest: string;
  oldbalanceDest: number;
  newbalanceDest: number;
  isFraud: 0 | 1;
}

/** Drift to simulate: amounts scaled, or a different mix of transaction types (relative weights). */
export interface FraudShift {
  amountScale?: number;
  typeMix?: Partial<Record<TxType, number>>;
}

// The mix of the PaySim paper's month of transactions.
const TYPE_MIX: Record<TxType, number> = { PAYMENT: 0.338, TRANSFER: 0.084, CASH_OUT: 0.352, DEBIT: 0.0065, CASH_IN: 0.22 };

// Median and log-spread of the amount per type.
const AMOUNT: Record<TxType, [number, number]> = {
  PAYMENT: [9_000, 1.0],
  TRANSFER: [300_000, 1.1],
  CASH_OUT: [150_000, 0.9],
  DEBIT: [5_000, 0.9],
  CASH_IN: [140_000, 1.0],
};

const STEPS = 743; // hours in PaySim's simulated month
const TAKEOVER_RATE = 0.025; // of TRANSFER and CASH_OUT rows
const FLIP_RATE = 0.0015;

const cents = (x: number) => Math.round(x * 100) / 100;
const logNormal = (random: Random, median: number, sigma: number) => median * Math.exp(sigma * random.normal());
const account = (random: Random, prefix: 'C' | 'M') => `${prefix}${1_000_000_000 + random.int(8_999_999_999)}`;

function typePicker(shift: FraudShift | undefined): (random: Random) => TxType {
  const weights = TX_TYPES.map((t) => shift?.typeMix?.[t] ?? TYPE_MIX[t]);
  const total = weights.reduce((a, b) => a + b, 0);
  let sum = 0;
  const cumulative = weights.map((w) => (sum += w / total));
  return (random) => {
    const u = random.next();
    const k = cumulative.findIndex((c) => u < c);
    return TX_TYPES[k < 0 ? TX_TYPES.length - 1 : k];
  };
}

export function* fraudRows(n: number, seed: number, shift?: FraudShift): Generator<FraudRow> {
  const random = seededRandom(seed);
  const pickType = typePicker(shift);
  const scale = shift?.amountScale ?? 1;
  for (let i = 0; i < n; i++) {
    const type = pickType(random);
    const risky = type === 'TRANSFER' || type === 'CASH_OUT';
    const takeover = risky && random.next() < TAKEOVER_RATE;
    const [median, sigma] = AMOUNT[type];

    let oldOrg: number;
    let amount: number;
    if (takeover) {
      oldOrg = cents(logNormal(random, 250_000 * scale, 1.2));
      amount = random.next() < 0.85 ? oldOrg : cents(oldOrg * (0.3 + 0.6 * random.next()));
    } else {
      amount = cents(logNormal(random, median * scale, sigma));
      // Most customers hold more than they move; a zero balance beside a transfer is a PaySim quirk kept here.
      oldOrg = random.next() < 0.3 ? 0 : cents(amount * Math.exp(1 + 0.8 * random.normal()));
      if (risky && oldOrg > 0 && random.next() < 0.03) amount = oldOrg;
    }
    const newOrg = type === 'CASH_IN' ? cents(oldOrg + amount) : cents(Math.max(0, oldOrg - amount));

    const merchant = type === 'PAYMENT';
    const oldDest = merchant || random.next() < 0.4 ? 0 : cents(logNormal(random, 300_000 * scale, 1.5));
    const stale = merchant || random.next() < (takeover ? 0.6 : 0.08);
    const newDest = stale ? oldDest : type === 'CASH_IN' ? cents(Math.max(0, oldDest - amount)) : cents(oldDest + amount);

    let isFraud: 0 | 1 = 0;
    if (risky) {
      const emptied = oldOrg > 0 && newOrg === 0 ? 1 : 0;
      const destStale = oldDest === newDest ? 1 : 0;
      // Calibrated for ~0.5 % fraud overall and a best achievable ROC AUC near 0.96. The amount enters
      // unscaled, so that an amount shift is drift in the inputs, not a change of the fraud mechanism.
      const logit =
        -7.8 + 3.4 * emptied + 1.4 * destStale + 2.2 * emptied * destStale + 1.2 * (Math.log10(amount / scale) - 5.2) + 0.7 * random.normal();
      isFraud = random.next() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
      if (random.next() < FLIP_RATE) isFraud = isFraud ? 0 : 1;
    }

    yield {
      step: 1 + Math.floor((i * STEPS) / Math.max(n, 1)),
      type,
      amount,
      nameOrig: account(random, 'C'),
      oldbalanceOrg: oldOrg,
      newbalanceOrig: newOrg,
      nameDest: account(random, merchant ? 'M' : 'C'),
      oldbalanceDest: oldDest,
      newbalanceDest: newDest,
      isFraud,
    };
  }
}

const line = (r: FraudRow) =>
  `${r.step},${r.type},${r.amount.toFixed(2)},${r.nameOrig},${r.oldbalanceOrg.toFixed(2)},${r.newbalanceOrig.toFixed(2)},` +
  `${r.nameDest},${r.oldbalanceDest.toFixed(2)},${r.newbalanceDest.toFixed(2)},${r.isFraud}\n`;

function* csvChunks(rows: Iterable<FraudRow>): Generator<string> {
  let chunk = `${FRAUD_COLUMNS.join(',')}\n`;
  let count = 0;
  for (const row of rows) {
    chunk += line(row);
    if (++count % 2000 === 0) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

/** Streams the CSV to a file, so a million rows never sit in memory. */
export async function writeFraudCsv(path: string, opts: { rows: number; seed: number; shift?: FraudShift }): Promise<void> {
  await pipeline(Readable.from(csvChunks(fraudRows(opts.rows, opts.seed, opts.shift))), createWriteStream(path));
}

/** The same rows as Parquet, typed: integers, doubles, dictionary-encoded strings. */
export async function writeFraudParquet(path: string, opts: { rows: number; seed: number; shift?: FraudShift }): Promise<void> {
  const types: Record<(typeof FRAUD_COLUMNS)[number], ParquetColumnSpec['type']> = {
    step: 'INT32', type: 'STRING', amount: 'DOUBLE', nameOrig: 'STRING', oldbalanceOrg: 'DOUBLE', newbalanceOrig: 'DOUBLE',
    nameDest: 'STRING', oldbalanceDest: 'DOUBLE', newbalanceDest: 'DOUBLE', isFraud: 'INT32',
  };
  const rows = fraudRows(opts.rows, opts.seed, opts.shift) as Iterable<unknown> as Iterable<Record<string, number | string>>;
  await writeParquetFile(path, FRAUD_COLUMNS.map((name) => ({ name, type: types[name] })), rows);
}

/**
 * A CSV of at least `bytes`, fast: one block of 20 000 rows written again and again. For measuring what
 * a large upload costs, where the values matter less than the size. Returns the rows written.
 */
export async function writeLargeFraudCsv(path: string, bytes: number): Promise<number> {
  const header = FRAUD_COLUMNS.join(',') + '\n';
  const perBlock = 20_000;
  const block = [...fraudRows(perBlock, 7)].map((row) => FRAUD_COLUMNS.map((c) => row[c]).join(',')).join('\n') + '\n';
  const out = createWriteStream(path);
  out.write(header);
  let size = header.length;
  let rows = 0;
  while (size < bytes) {
    if (!out.write(block)) await once(out, 'drain');
    size += block.length;
    rows += perBlock;
  }
  out.end();
  await once(out, 'finish');
  return rows;
}
