import type { DeadLetter } from '../../../shared/platform/ports';
import { get, post } from '../api';
import { h, table } from '../dom';
import type { View } from '../view';

export const deadLettersView: View = async (_params, refresh) => {
  const letters = await get<DeadLetter[]>('/dead-letters');
  const redeliver = (id: string) => async (event: Event) => {
    (event.target as HTMLButtonElement).disabled = true;
    try {
      await post(`/dead-letters/${encodeURIComponent(id)}/redeliver`);
    } catch (err) {
      alert(err instanceof Error ? err.message : String(err));
    }
    refresh();
  };
  const rows = letters.map((d) => [d.deadLetteredAt, d.topic, d.subscription, d.deliveryAttempts, h('code', {}, d.lastError), h('details', {}, h('summary', {}, 'event'), h('pre', {}, JSON.stringify(d.data, null, 2))), h('button', { onclick: redeliver(d.id) }, 'redeliver')]);
  return { el: h('section', {}, h('h1', {}, 'Dead letters'), letters.length ? table(['when', 'topic', 'subscription', 'attempts', 'error', '', ''], rows) : h('p', { class: 'muted' }, 'No dead letters: every event was handled.')) };
};
