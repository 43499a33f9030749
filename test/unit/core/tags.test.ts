import { MAX_TAGS, parseTags, tagsFromArgs } from '../../../shared/core/tags';

describe('run tags', () => {
  it('reads repeated --tag key=value, keeping everything after the first =', () => {
    expect(tagsFromArgs(['experiment=lr-sweep', 'owner=alice@example.com', 'data=gs://b/x.csv'])).toEqual({ experiment: 'lr-sweep', owner: 'alice@example.com', data: 'gs://b/x.csv' });
    expect(() => tagsFromArgs(['ratio=a=b'])).toThrow(/tag ratio: a value/);
    expect(tagsFromArgs([])).toBeUndefined();
  });

  it.each([
    [['noequals'], /write key=value/],
    [['=value'], /write key=value/],
    [['a=1', 'a=2'], /--tag a is given twice/],
    [['bad key=1'], /tag key "bad key"/],
    [['k=has space'], /a value of/],
    [['k='], /a value of/],
    [['k=<script>'], /a value of/],
    [[`k=${'x'.repeat(129)}`], /a value of/],
    [[`${'k'.repeat(64)}=v`], /tag key/],
  ])('refuses %j with a reason', (args, reason) => {
    expect(() => tagsFromArgs(args)).toThrow(reason);
  });

  it(`refuses more than ${MAX_TAGS} tags and anything that is not an object of strings`, () => {
    const many = Object.fromEntries(Array.from({ length: MAX_TAGS + 1 }, (_, i) => [`k${i}`, 'v']));
    expect(() => parseTags(many)).toThrow(`at most ${MAX_TAGS} tags`);
    expect(parseTags(Object.fromEntries(Object.entries(many).slice(0, MAX_TAGS)))).toHaveProperty('k0', 'v');
    expect(() => parseTags({ k: 1 })).toThrow(/tag k: a value of/);
    expect(() => parseTags(['k=v'])).toThrow(/tags must be an object/);
  });
});
