import type { DatasetDoc } from '../../../shared/pipeline/store/documents';
import { get } from '../api';
import { bytes, h, table } from '../dom';
import type { View } from '../view';

export const datasetsView: View = async () => {
  const datasets = (await get<DatasetDoc[]>('/datasets')).reverse();
  const rows = datasets.map((d) => [
    d.model,
    d.version,
    h('span', { class: d.status === 'accepted' ? 'ok' : 'bad' }, d.status),
    d.object.name,
    bytes(d.object.size),
    d.rows ?? '–',
    d.rejected_count ?? '–',
    d.reason ?? '',
    d.created_at,
  ]);
  return { el: h('section', {}, h('h1', {}, 'Datasets'), datasets.length ? table(['model', 'version', 'validation', 'object', 'size', 'rows', 'rejected rows', 'reason', 'received'], rows) : h('p', { class: 'muted' }, 'No datasets yet.')) };
};
