import { apiKey, NEEDS_KEY } from './api';
import { h } from './dom';
import type { View } from './view';
import { compareView } from './views/compare';
import { datasetsView } from './views/datasets';
import { deadLettersView } from './views/dead_letters';
import { modelsView } from './views/models';
import { driftReportView, monitoringView } from './views/monitoring';
import { runView } from './views/run';
import { runsView } from './views/runs';

const LIVE_MS = 1500;

const routes: Array<[RegExp, View]> = [
  [/^#\/runs\/([^/]+)$/, runView],
  [/^#\/runs$/, runsView],
  [/^#\/datasets$/, datasetsView],
  [/^#\/models$/, modelsView],
  [/^#\/monitoring\/([^/]+)$/, driftReportView],
  [/^#\/monitoring$/, monitoringView],
  [/^#\/dead-letters$/, deadLettersView],
  [/^#\/compare\/([^/]+)$/, compareView],
];

const main = document.getElementById('view')!;
let timer: number | undefined;
// A render that finishes after the person moved on must not paint over the new page.
let generation = 0;

async function render(): Promise<void> {
  clearTimeout(timer);
  const hash = location.hash || '#/runs';
  const mine = ++generation;
  const [pattern, view] = routes.find(([p]) => p.test(hash)) ?? routes[1];
  const params = (pattern.exec(hash) ?? []).slice(1).map(decodeURIComponent);
  for (const a of document.querySelectorAll('header nav a')) a.classList.toggle('active', hash.startsWith(a.getAttribute('href')!));
  try {
    const { el, live } = await view(params, () => void render());
    if (mine !== generation) return;
    main.replaceChildren(el);
    if (live) timer = window.setTimeout(() => void render(), LIVE_MS);
  } catch (err) {
    if (mine !== generation) return;
    main.replaceChildren(h('p', { class: 'error' }, err instanceof Error ? err.message : String(err)));
  }
}

const keyInput = document.getElementById('key') as HTMLInputElement;
keyInput.value = apiKey.get();
document.getElementById('key-form')!.addEventListener('submit', (event) => {
  event.preventDefault();
  apiKey.set(keyInput.value.trim());
  keyInput.style.outline = '';
  void render();
});
// Asked for only once the API refuses: the form is pointed out, and the cursor put in it.
document.addEventListener(NEEDS_KEY, () => {
  keyInput.style.outline = '2px solid #c62828';
  keyInput.placeholder = 'API key needed';
  keyInput.focus();
});
window.addEventListener('hashchange', () => void render());
void render();
