import type { Manifest } from '../../ml/manifest';
import type { MetricInterval, SliceResult } from '../../ml/slice_metrics';
import type { DecisionDoc } from '../store/documents';

/**
 * A model card (Mitchell et al., "Model Cards for Model Reporting"): what a version is, what it was
 * trained on, what it is for, how well it does overall and on each slice, what decided its promotion and
 * what to be careful about. Built from what the version and its decision record, nothing measured here;
 * rendered as card.md and as a section of report.html from the same blocks.
 */
export type CardBlock = { kind: 'text'; text: string } | { kind: 'list'; items: string[] } | { kind: 'table'; head: string[]; rows: string[][] };

export interface CardSection {
  heading: string;
  blocks: CardBlock[];
}

export interface ModelCard {
  title: string;
  sections: CardSection[];
}

export interface CardInput {
  manifest: Manifest;
  /** mloop.json's `intended_use`. */
  intendedUse?: string | null;
  /** The decision on this version; absent: not judged yet (a folder `mloop train` wrote, a run still deciding). */
  decision?: DecisionDoc | null;
  /** The version's stage now, when it is in a registry. */
  stage?: string | null;
  /** Per slice, when the decision has none (measured at training time, the candidate alone). */
  slices?: SliceResult[];
  overall?: SliceResult | null;
  /** Whatever the run records about calibration (method, error before and after), printed as it is. */
  calibration?: Record<string, unknown> | null;
  /** Global importance as mean |SHAP| on the holdout, when the version has it. */
  shap?: Array<{ feature: string; value: number }> | null;
  /** Each class's rows on the holdout (binary and multiclass). */
  classCounts?: Record<string, number> | null;
  /** Below this many rows a slice or a class is called out as too small to trust (the slice guardrail's min_slice_rows, when set). */
  minRows?: number;
}

/** A class or slice with fewer holdout rows than this is a caveat, unless the guardrail names its own minimum. */
export const CAVEAT_MIN_ROWS = 50;
const TOP_FEATURES = 10;

export function modelCard(input: CardInput): ModelCard {
  const { manifest: m } = input;
  const minRows = input.minRows ?? CAVEAT_MIN_ROWS;
  const slices = input.decision?.slices?.length ? input.decision.slices : (input.slices ?? []);
  const overall = input.decision?.holdout_metrics ?? input.overall ?? null;
  return {
    title: `Model card: ${m.model} ${m.version}`,
    sections: [
      { heading: 'Task', blocks: [task(m, input.stage)] },
      { heading: 'Data lineage', blocks: [lineage(m, input.decision)] },
      { heading: 'Intended use', blocks: [{ kind: 'text', text: input.intendedUse?.trim() || 'Not stated: set "intended_use" in the dataset\'s mloop.json.' }] },
      { heading: 'Metrics', blocks: metrics(m, overall, input.decision) },
      { heading: 'Metrics per slice', blocks: sliceBlocks(slices) },
      { heading: 'Calibration', blocks: calibration(m, input.calibration) },
      { heading: 'Top features', blocks: features(m, input.shap) },
      { heading: 'Promotion decision', blocks: decisionBlocks(input.decision) },
      { heading: 'Known caveats', blocks: [caveats(input, slices, minRows)] },
    ],
  };
}

function task(m: Manifest, stage: string | null | undefined): CardBlock {
  const classes = m.classes ? ` (classes: ${m.classes.join(', ')})` : '';
  return {
    kind: 'list',
    items: [
      `${m.task} on target ${m.target}${classes}`,
      `${m.algorithm} trained on ${m.trainer.backend}, run ${m.run_id}, ${m.created_at}`,
      ...(m.threshold !== null ? [`label threshold ${num(m.threshold)} (binary: positive when the score is at least this)`] : []),
      ...(stage ? [`stage: ${stage}`] : []),
    ],
  };
}

function lineage(m: Manifest, decision: DecisionDoc | null | undefined): CardBlock {
  const range = m.dataset.time_range;
  return {
    kind: 'list',
    items: [
      `dataset version (content hash) ${m.dataset.version}, from ${m.dataset.uri}`,
      `${m.dataset.rows} rows prepared (train, validation and test)${decision ? `; ${decision.holdout_rows} holdout rows judged the promotion` : ''}`,
      range ? `time range of ${range.column}: ${time(range.from)} to ${time(range.to)} (split by time: the latest rows are the holdout)` : 'no time column: rows split at random',
      ...(m.dropped.length ? [`columns not used: ${m.dropped.map((d) => `${d.name} (${d.reason})`).join(', ')}`] : []),
    ],
  };
}

function metrics(m: Manifest, overall: SliceResult | null, decision: DecisionDoc | null | undefined): CardBlock[] {
  const blocks: CardBlock[] = [];
  if (overall) {
    const names = Object.keys(overall.candidate);
    const head = ['metric', 'this version (95 % interval)', ...(overall.production ? [`production ${decision?.production_version ?? ''} on the same rows`.trim()] : [])];
    const rows = names.map((name) => [name, interval(overall.candidate[name]), ...(overall.production ? [interval(overall.production[name])] : [])]);
    blocks.push({ kind: 'text', text: `On ${overall.rows} holdout rows, with 95 % bootstrap intervals:` }, { kind: 'table', head, rows });
  }
  const flat = Object.entries(m.metrics).filter(([, v]) => Number.isFinite(v));
  if (flat.length) blocks.push({ kind: 'text', text: `Test metrics the training job reported: ${flat.map(([k, v]) => `${k} ${Number.isInteger(v) ? v : num(v)}`).join(', ')}` });
  return blocks.length ? blocks : [{ kind: 'text', text: 'No metrics recorded.' }];
}

function sliceBlocks(slices: readonly SliceResult[]): CardBlock[] {
  if (slices.length === 0) return [{ kind: 'text', text: 'No slices: name columns in mloop.json ("slices": ["region"]), or give the data a categorical feature of 2 to 20 values.' }];
  const names = Object.keys(slices[0].candidate);
  const compared = slices.some((s) => s.production);
  const head = ['slice', 'rows', ...names.flatMap((n) => (compared ? [n, `${n} production`] : [n])), ...(compared ? ['difference (promotion metric)'] : [])];
  const rows = slices.map((s) => [
    `${s.column}=${s.value}`,
    String(s.rows),
    ...names.flatMap((n) => (compared ? [interval(s.candidate[n]), interval(s.production?.[n])] : [interval(s.candidate[n])])),
    ...(compared ? [interval(s.difference ?? undefined)] : []),
  ]);
  return [{ kind: 'text', text: 'Each metric with its 95 % bootstrap interval, resampled within the slice.' }, { kind: 'table', head, rows }];
}

function calibration(m: Manifest, recorded: Record<string, unknown> | null | undefined): CardBlock[] {
  const items: string[] = [];
  for (const [key, value] of Object.entries(recorded ?? {})) items.push(`${key}: ${typeof value === 'number' ? num(value) : typeof value === 'string' ? value : JSON.stringify(value)}`);
  const platt = m.trainer.coefficients?.calibration;
  if (platt) items.push(`Platt scaling on validation: ${platt.map((p) => `a ${num(p.a)}, b ${num(p.b)}`).join('; ')}`);
  return items.length ? [{ kind: 'list', items }] : [{ kind: 'text', text: 'None recorded for this version: its scores are the model\'s own.' }];
}

function features(m: Manifest, given: CardInput['shap']): CardBlock[] {
  const blocks: CardBlock[] = [];
  // the training job records mean |SHAP| on the holdout in the manifest (explain/global_importance.ts)
  const shap = given?.length ? given : m.explanations?.importance.map((f) => ({ feature: f.feature, value: f.mean_abs }));
  if (shap?.length) {
    const top = [...shap].sort((a, b) => b.value - a.value).slice(0, TOP_FEATURES);
    blocks.push({ kind: 'table', head: ['feature', m.explanations?.approximate ? 'mean |contribution| on the holdout (approximate)' : 'mean |SHAP| on the holdout'], rows: top.map((f) => [f.feature, num(f.value)]) });
  }
  const gain = m.trainer.importance;
  if (gain?.length) {
    const top = [...gain].sort((a, b) => b.gain - a.gain).slice(0, TOP_FEATURES);
    blocks.push({ kind: 'table', head: ['feature', 'gain'], rows: top.map((f) => [f.feature, num(f.gain)]) });
  }
  return blocks.length ? blocks : [{ kind: 'text', text: `${m.algorithm} reports no feature importance.` }];
}

function decisionBlocks(decision: DecisionDoc | null | undefined): CardBlock[] {
  if (!decision) return [{ kind: 'text', text: 'Not judged yet: the decision is made against production when the run completes.' }];
  const verdict = decision.awaiting_approval ? 'won, awaiting approval' : decision.promote ? 'promoted' : 'not promoted';
  const b = decision.bootstrap;
  return [
    {
      kind: 'list',
      items: [
        `${verdict} (${decision.decided_at}) against production ${decision.production_version ?? 'none'}`,
        `${decision.metric}: ${num(decision.candidate_metric)} vs ${num(decision.production_metric)}, delta ${decision.delta}`,
        ...(b ? [`paired bootstrap of the ${b.metric} difference: ${num(b.difference)} [${num(b.ci95[0])}, ${num(b.ci95[1])}] over ${b.resamples} resamples`] : []),
        ...decision.reasons.map((r) => `reason: ${r}`),
      ],
    },
    ...(decision.checks?.length ? [{ kind: 'table' as const, head: ['check', 'passed', 'detail'], rows: decision.checks.map((c) => [c.name, c.passed ? 'yes' : 'no', c.detail]) }] : []),
  ];
}

function caveats(input: CardInput, slices: readonly SliceResult[], minRows: number): CardBlock {
  const items: string[] = [];
  for (const [name, rows] of Object.entries(input.classCounts ?? {})) {
    if (rows < minRows) items.push(`class ${name} has ${rows} holdout rows (fewer than ${minRows}): its metrics are uncertain`);
  }
  for (const s of slices) {
    if (s.rows < minRows) items.push(`slice ${s.column}=${s.value} has ${s.rows} holdout rows (fewer than ${minRows}): too few to judge${input.decision?.slice_failures ? ', and not held to the slice guardrail' : ''}`);
  }
  for (const s of slices) {
    const missing = Object.entries(s.candidate).filter(([, m]) => m.value === null).map(([n]) => n);
    if (s.rows >= minRows && missing.length) items.push(`slice ${s.column}=${s.value}: ${missing.join(', ')} undefined (a single class among its rows)`);
  }
  for (const f of input.decision?.slice_failures ?? []) items.push(`slice ${f.column}=${f.value} lost ${num(f.drop)} of ${f.metric} against production`);
  for (const r of input.decision?.reasons ?? []) if (r.startsWith('slice column ')) items.push(r);
  if (!input.intendedUse) items.push('no intended use stated');
  return items.length ? { kind: 'list', items } : { kind: 'text', text: `None found: every class and slice has at least ${minRows} holdout rows.` };
}

/** A metric with its interval: `0.9123 [0.9010, 0.9230]`. */
function interval(m: MetricInterval | undefined): string {
  if (!m || m.value === null) return '-';
  return m.ci95 ? `${num(m.value)} [${num(m.ci95[0])}, ${num(m.ci95[1])}]` : num(m.value);
}

function num(v: number | null | undefined): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '-';
  return Math.abs(v) >= 1000 ? v.toFixed(0) : v.toFixed(4);
}

/** Epoch milliseconds as a date (a time column of dates); a small number (a step) as it is. */
function time(v: number): string {
  return Math.abs(v) > 1e11 ? new Date(v).toISOString() : String(v);
}

/** Cell and line text from the data (slice values, feature names) cannot open HTML or break a table; `>` alone opens nothing and stays readable in a terminal. */
function mdText(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/</g, '&lt;').replace(/\|/g, '\\|');
}

export function cardMarkdown(card: ModelCard): string {
  const out = [`# ${mdText(card.title)}`, ''];
  for (const section of card.sections) {
    out.push(`## ${section.heading}`, '');
    for (const block of section.blocks) {
      if (block.kind === 'text') out.push(mdText(block.text));
      else if (block.kind === 'list') out.push(...block.items.map((i) => `- ${mdText(i)}`));
      else {
        out.push(`| ${block.head.map(mdText).join(' | ')} |`, `|${block.head.map(() => '---').join('|')}|`);
        out.push(...block.rows.map((row) => `| ${row.map(mdText).join(' | ')} |`));
      }
      out.push('');
    }
  }
  return out.join('\n');
}

/** The card as a report.html section, between markers so that the decision's card can replace the training job's. */
export function cardHtml(card: ModelCard): string {
  const body = card.sections
    .map((section) => {
      const blocks = section.blocks
        .map((block) => {
          if (block.kind === 'text') return `<p>${esc(block.text)}</p>`;
          if (block.kind === 'list') return `<ul>${block.items.map((i) => `<li>${esc(i)}</li>`).join('')}</ul>`;
          return `<table><tr>${block.head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${block.rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</table>`;
        })
        .join('');
      return `<h3>${esc(section.heading)}</h3>${blocks}`;
    })
    .join('');
  return `${CARD_START}<section id="model-card"><h2>${esc(card.title)}</h2>${body}</section>${CARD_END}`;
}

export const CARD_START = '<!--model-card-->';
export const CARD_END = '<!--/model-card-->';

/** report.html with its card section replaced (or added before </body> in a report written before cards). */
export function withCard(report: string, card: ModelCard): string {
  const html = cardHtml(card);
  const start = report.indexOf(CARD_START);
  const end = report.indexOf(CARD_END);
  if (start >= 0 && end > start) return report.slice(0, start) + html + report.slice(end + CARD_END.length);
  const close = report.lastIndexOf('</body>');
  return close >= 0 ? report.slice(0, close) + html + report.slice(close) : report + html;
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
