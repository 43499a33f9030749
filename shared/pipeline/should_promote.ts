/**
 * The promotion rule, kept pure so that it is unit-tested on its own: promote when there is no
 * production metric to beat, or when the candidate beats it by more than `delta`, both measured on the
 * same held-out rows. A candidate without a usable metric never wins.
 */
export interface PromotionInput {
  candidate: number | null | undefined;
  production: number | null | undefined;
  delta: number;
  metric?: string;
}

export interface PromotionDecision {
  promote: boolean;
  reasons: string[];
}

const usable = (value: number | null | undefined): value is number =>
  typeof value === 'number' && Number.isFinite(value);

export function shouldPromote({ candidate, production, delta, metric = 'auc' }: PromotionInput): PromotionDecision {
  if (!usable(candidate)) {
    return { promote: false, reasons: [`candidate has no usable ${metric} (${String(candidate)})`] };
  }
  if (!usable(production)) {
    return {
      promote: true,
      reasons: [`no production ${metric} to compare with: candidate ${metric} ${candidate.toFixed(4)} is promoted`],
    };
  }
  const bar = production + delta;
  const gain = candidate - production;
  if (candidate > bar) {
    return {
      promote: true,
      reasons: [
        `candidate ${metric} ${candidate.toFixed(4)} > production ${production.toFixed(4)} + delta ${delta} (gain ${gain.toFixed(4)})`,
      ],
    };
  }
  return {
    promote: false,
    reasons: [
      `candidate ${metric} ${candidate.toFixed(4)} does not beat production ${production.toFixed(4)} + delta ${delta} (gain ${gain.toFixed(4)})`,
    ],
  };
}
