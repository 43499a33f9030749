/**
 * The promotion rule, kept pure so that it is unit-tested on its own: promote when there is no
 * production metric to beat, or when the candidate beats it by more than `delta`, both measured on the
 * same held-out rows. A candidate without a usable metric never wins.
 *
 * "Beats" follows the metric's direction (AUC up, RMSE and log loss down). A relative delta is a
 * fraction of production's value, for errors measured in the target's own units.
 */
export interface PromotionInput {
  candidate: number | null | undefined;
  production: number | null | undefined;
  delta: number;
  metric?: string;
  higherIsBetter?: boolean;
  relativeDelta?: boolean;
}

export interface PromotionDecision {
  promote: boolean;
  reasons: string[];
}

const usable = (value: number | null | undefined): value is number =>
  typeof value === 'number' && Number.isFinite(value);

export function shouldPromote({ candidate, production, delta, metric = 'auc', higherIsBetter = true, relativeDelta = false }: PromotionInput): PromotionDecision {
  if (!usable(candidate)) {
    return { promote: false, reasons: [`candidate has no usable ${metric} (${String(candidate)})`] };
  }
  if (!usable(production)) {
    return {
      promote: true,
      reasons: [`no production ${metric} to compare with: candidate ${metric} ${candidate.toFixed(4)} is promoted`],
    };
  }
  const margin = relativeDelta ? Math.abs(production) * delta : delta;
  const bar = higherIsBetter ? production + margin : production - margin;
  const gain = higherIsBetter ? candidate - production : production - candidate;
  const beats = higherIsBetter ? candidate > bar : candidate < bar;
  const bound = `production ${production.toFixed(4)} ${higherIsBetter ? '+' : '−'} ${relativeDelta ? `${delta} × ${production.toFixed(4)}` : `delta ${delta}`}`;
  const comparison = higherIsBetter ? '>' : '<';
  return {
    promote: beats,
    reasons: [
      beats
        ? `candidate ${metric} ${candidate.toFixed(4)} ${comparison} ${bound} (gain ${gain.toFixed(4)})`
        : `candidate ${metric} ${candidate.toFixed(4)} does not beat ${bound} (gain ${gain.toFixed(4)})`,
    ],
  };
}
