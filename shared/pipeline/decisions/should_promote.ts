/**
 * The promotion rule, kept pure so that it is unit-tested on its own: a candidate is promoted when it
 * passes every guardrail — a usable metric, no worse than the floor, a p99 scoring latency and a model
 * size within their bounds — and beats the production metric by more than `delta` on the same held-out
 * rows. Without a production metric the change test is skipped (as TFX does), the guardrails are not.
 * Anything the rule needs that is missing or not a finite number blocks promotion.
 *
 * "Beats" follows the metric's direction (AUC up, RMSE and log loss down). A relative delta is a
 * fraction of production's value, for errors measured in the target's own units. With `nonInferior`
 * (a classifier whose class set changed, compared on the shared classes: see class_change.ts) the
 * candidate need only be no worse than production by more than `delta`.
 */
export interface PromotionInput {
  candidate: number | null | undefined;
  production: number | null | undefined;
  delta: number;
  metric?: string;
  higherIsBetter?: boolean;
  relativeDelta?: boolean;
  /** The worst acceptable metric, in its direction: a minimum AUC, a maximum RMSE. */
  floor?: number;
  /** The candidate's p99 latency of one row, and the bound it must stay within. */
  p99Ms?: number | null;
  maxP99Ms?: number;
  modelBytes?: number | null;
  maxModelBytes?: number;
  nonInferior?: boolean;
  /** Checks decided elsewhere (the new classes' recall, the slices: slice_guardrail.ts), held to as the others. */
  extra?: GuardrailCheck[];
}

export interface GuardrailCheck {
  name: 'metric' | 'floor' | 'p99_ms' | 'model_bytes' | 'delta' | 'new_class_recall' | 'slice';
  passed: boolean;
  detail: string;
}

export interface PromotionDecision {
  promote: boolean;
  reasons: string[];
  checks: GuardrailCheck[];
}

const usable = (value: number | null | undefined): value is number => typeof value === 'number' && Number.isFinite(value);

export function shouldPromote(input: PromotionInput): PromotionDecision {
  const { candidate, production, delta, metric = 'auc', higherIsBetter = true, relativeDelta = false } = input;
  if (!usable(candidate)) {
    const check: GuardrailCheck = { name: 'metric', passed: false, detail: `candidate has no usable ${metric} (${String(candidate)})` };
    return { promote: false, reasons: [check.detail], checks: [check] };
  }
  const checks: GuardrailCheck[] = [];
  if (input.floor !== undefined) {
    const passed = higherIsBetter ? candidate >= input.floor : candidate <= input.floor;
    checks.push({ name: 'floor', passed, detail: `candidate ${metric} ${fmt(candidate)} ${passed ? 'is within' : 'is worse than'} the floor ${input.floor}` });
  }
  if (input.maxP99Ms !== undefined) checks.push(bounded('p99_ms', 'p99 latency of one row', input.p99Ms, input.maxP99Ms, (v) => `${fmt(v)} ms`));
  if (input.maxModelBytes !== undefined) {
    checks.push(bounded('model_bytes', 'model size', input.modelBytes, input.maxModelBytes, (v) => `${(v / 1e6).toFixed(2)} MB`));
  }
  checks.push(...(input.extra ?? []));
  checks.push(input.nonInferior ? nonInferiorityCheck(candidate, production, delta, metric, higherIsBetter, relativeDelta) : changeCheck(candidate, production, delta, metric, higherIsBetter, relativeDelta));
  const failed = checks.filter((c) => !c.passed);
  return { promote: failed.length === 0, reasons: (failed.length > 0 ? failed : checks).map((c) => c.detail), checks };
}

function bounded(name: GuardrailCheck['name'], what: string, value: number | null | undefined, limit: number, unit: (v: number) => string): GuardrailCheck {
  if (!usable(value)) return { name, passed: false, detail: `the candidate's ${what} was not measured (${String(value)}), and a bound of ${unit(limit)} is set` };
  const passed = value <= limit;
  return { name, passed, detail: `${what} ${unit(value)} ${passed ? '≤' : '>'} the bound of ${unit(limit)}` };
}

function changeCheck(candidate: number, production: number | null | undefined, delta: number, metric: string, higherIsBetter: boolean, relativeDelta: boolean): GuardrailCheck {
  if (!usable(production)) {
    return { name: 'delta', passed: true, detail: `no production ${metric} to compare with: candidate ${metric} ${fmt(candidate)} is promoted` };
  }
  const margin = relativeDelta ? Math.abs(production) * delta : delta;
  const bar = higherIsBetter ? production + margin : production - margin;
  const gain = higherIsBetter ? candidate - production : production - candidate;
  const beats = higherIsBetter ? candidate > bar : candidate < bar;
  const bound = `production ${fmt(production)} ${higherIsBetter ? '+' : '−'} ${relativeDelta ? `${delta} × ${fmt(production)}` : `delta ${delta}`}`;
  const comparison = higherIsBetter ? '>' : '<';
  return {
    name: 'delta',
    passed: beats,
    detail: beats
      ? `candidate ${metric} ${fmt(candidate)} ${comparison} ${bound} (gain ${fmt(gain)})`
      : `candidate ${metric} ${fmt(candidate)} does not beat ${bound} (gain ${fmt(gain)})`,
  };
}

function nonInferiorityCheck(candidate: number, production: number | null | undefined, delta: number, metric: string, higherIsBetter: boolean, relativeDelta: boolean): GuardrailCheck {
  if (!usable(production)) return changeCheck(candidate, production, delta, metric, higherIsBetter, relativeDelta);
  const margin = relativeDelta ? Math.abs(production) * delta : delta;
  const bar = higherIsBetter ? production - margin : production + margin;
  const passed = higherIsBetter ? candidate >= bar : candidate <= bar;
  const bound = `production ${fmt(production)} ${higherIsBetter ? '−' : '+'} ${relativeDelta ? `${delta} × ${fmt(production)}` : `delta ${delta}`}`;
  return {
    name: 'delta',
    passed,
    detail: passed
      ? `on the shared classes, candidate ${metric} ${fmt(candidate)} is no worse than ${bound}`
      : `on the shared classes, candidate ${metric} ${fmt(candidate)} is worse than ${bound}`,
  };
}

const fmt = (v: number) => v.toFixed(4);
