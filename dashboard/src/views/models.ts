import type { RegistryModel } from '../../../shared/pipeline/read_models/registry_view';
import { get, post } from '../api';
import { lineChart, type Marker } from '../charts';
import { h, headline, table } from '../dom';
import type { View } from '../view';

/** The registry, with the moves a person may make; the API refuses them without the key when one is set. */
export const modelsView: View = async (_params, refresh) => {
  const models = await get<RegistryModel[]>('/registry');
  const act = (path: string, confirmText: string) => async (event: Event) => {
    if (!confirm(confirmText)) return;
    (event.target as HTMLButtonElement).disabled = true;
    try {
      await post(path);
    } catch (err) {
      alert(err instanceof Error ? err.message : String(err));
    }
    refresh();
  };
  const sections = models.map((m) => {
    const base = `/models/${encodeURIComponent(m.name)}`;
    const aliases = Object.entries(m.aliases).map(([alias, v]) => `${alias} → ${v}`).join(', ');
    const rows = [...m.versions].reverse().map((v) => {
      const path = `${base}/versions/${encodeURIComponent(v.version)}`;
      return [
        h('strong', {}, v.version),
        h('span', { class: `stage-${v.stage}` }, v.stage, v.version === m.production_version ? ' (live)' : ''),
        headline(v.headline),
        h('a', { href: `#/runs/${v.run_id}` }, v.run_id),
        v.decision ? `${v.decision.promote ? 'promote' : 'keep out'}: ${v.decision.reasons.join('; ')}` : '–',
        h('ul', {}, v.history.map((t) => h('li', {}, `${t.at} ${t.from ?? 'new'} → ${t.to} by ${t.by}: ${t.reason}`))),
        h('span', {},
          v.stage === 'candidate' ? h('button', { 'data-action': 'approve', onclick: act(`${path}/approve`, `Approve ${m.name} ${v.version} for production?`) }, 'approve') : null,
          v.stage === 'candidate' ? h('button', { 'data-action': 'reject', onclick: act(`${path}/reject`, `Reject ${m.name} ${v.version}?`) }, 'reject') : null,
        ),
      ];
    });
    const canary = m.canary
      ? h('p', { class: 'canary' }, `canary: ${m.canary.version} gets ${m.canary.percent} % of requests, ${m.canary.previous_version} the rest `,
          h('button', { 'data-action': 'canary-complete', onclick: act(`${base}/canary/complete`, `Send all of ${m.name}'s traffic to ${m.canary.version}?`) }, 'complete'),
          h('button', { 'data-action': 'canary-abort', onclick: act(`${base}/canary/abort`, `Abort the canary and put ${m.canary.previous_version} back in production?`) }, 'abort'))
      : null;
    return h('section', { 'data-model': m.name },
      h('h2', {}, m.name),
      canary,
      h('p', {}, 'live: ', h('strong', { class: 'live-version' }, m.production_version ?? 'none'), m.previous_version ? ` · previous: ${m.previous_version}` : '', aliases ? ` · aliases: ${aliases}` : '', ' ',
        m.previous_version ? h('button', { 'data-action': 'rollback', onclick: act(`${base}/rollback`, `Roll ${m.name} back to ${m.previous_version}?`) }, `roll back to ${m.previous_version}`) : null),
      metricOverTime(m),
      table(['version', 'stage', 'metric', 'run', 'decision', 'transitions', ''], rows),
    );
  });
  return { el: h('section', {}, h('h1', {}, 'Models'), sections.length ? sections : h('p', { class: 'muted' }, 'No models yet.')) };
};

/**
 * The model's headline metric, version after version, by when each was trained; each move into
 * production marked where it happened: a promotion (green), or a return to a version production had
 * before — a rollback or an aborted canary (orange).
 */
function metricOverTime(m: RegistryModel): HTMLElement | null {
  const measured = m.versions.filter((v) => v.headline[0]?.value !== null && v.headline[0] !== undefined);
  if (!measured.length) return null;
  const name = measured[0].headline[0].name;
  const valueOf = new Map(measured.map((v) => [v.version, v.headline[0].value as number]));
  const ordered = [...measured].sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));
  const points = ordered.map((v): [number, number] => [Date.parse(v.created_at), valueOf.get(v.version)!]);
  const markers: Marker[] = m.versions.flatMap((v) =>
    v.history
      .filter((t) => t.to === 'production' && t.from !== 'production' && valueOf.has(v.version))
      .map((t) => {
        const rollback = t.from === 'archived';
        return { x: Date.parse(t.at), y: valueOf.get(v.version)!, kind: rollback ? 'rollback' : 'promotion', colour: rollback ? '#d97706' : '#047857', label: `${rollback ? 'back to' : 'promoted'} ${v.version} at ${t.at} by ${t.by}: ${t.reason}` };
      }),
  );
  const chart = lineChart(`${name} per version over time`, [{ name, colour: '#2563eb', points, labels: ordered.map((v) => v.version) }], { x: 'trained at (UTC)', y: name, timeX: true }, markers);
  chart.classList.add('metric-over-time');
  chart.appendChild(h('p', { class: 'muted' }, h('span', { style: 'color:#047857' }, '●'), ' promoted  ', h('span', { style: 'color:#d97706' }, '●'), ' rolled back to'));
  return h('div', { class: 'charts' }, chart);
}
