import { pageOf, pageRequestOf } from '../../../../shared/pipeline/read_models/paging';

const items = ['c', 'a', 'e', 'b', 'd'].map((key) => ({ key }));
const keyOf = (item: { key: string }) => item.key;

describe('cursor paging', () => {
  it('walks a listing page by page in key order, and ends with a null token', () => {
    const first = pageOf(items, keyOf, { limit: 2 });
    expect(first.items.map(keyOf)).toEqual(['a', 'b']);
    const second = pageOf(items, keyOf, { limit: 2, page_token: first.next_page_token! });
    expect(second.items.map(keyOf)).toEqual(['c', 'd']);
    const last = pageOf(items, keyOf, { limit: 2, page_token: second.next_page_token! });
    expect(last).toEqual({ items: [{ key: 'e' }], next_page_token: null });
  });

  it('starts after the last item handed out even when items were added or removed meanwhile', () => {
    const first = pageOf(items, keyOf, { limit: 2 });
    const changed = [...items.filter((i) => i.key !== 'b' && i.key !== 'c'), { key: 'a2' }, { key: 'bb' }];
    expect(pageOf(changed, keyOf, { limit: 2, page_token: first.next_page_token! }).items.map(keyOf)).toEqual(['bb', 'd']);
  });

  it('refuses a limit out of range and a token it did not hand out', () => {
    expect(() => pageOf(items, keyOf, { limit: 0 })).toThrow(/limit must be an integer from 1 to 500/);
    expect(() => pageOf(items, keyOf, { limit: 501 })).toThrow(/limit/);
    expect(() => pageOf(items, keyOf, { page_token: '***' })).toThrow(/page_token is not one this API handed out/);
  });

  it('reads ?limit and ?page_token, or says the caller asked for the whole list', () => {
    expect(pageRequestOf({})).toBeNull();
    expect(pageRequestOf({ limit: '20' })).toEqual({ limit: 20 });
    expect(pageRequestOf({ page_token: 'YQ' })).toEqual({ page_token: 'YQ' });
    expect(() => pageRequestOf({ limit: 'ten' })).toThrow(/limit must be an integer/);
  });
});
