import type { RegistryModel } from '../../../shared/pipeline/read_models/registry_view';
import { get, post } from '../api';
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
      table(['version', 'stage', 'metric', 'run', 'decision', 'transitions', ''], rows),
    );
  });
  return { el: h('section', {}, h('h1', {}, 'Models'), sections.length ? sections : h('p', { class: 'muted' }, 'No models yet.')) };
};
