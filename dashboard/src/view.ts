/** A view renders a page from the API; `live` asks to be rendered again shortly (a run is training). */
export interface Rendered {
  el: HTMLElement;
  live?: boolean;
}

export type View = (params: string[], refresh: () => void) => Promise<Rendered>;
