import { formatModelVersions, parseModelVersions, sameServedModels } from '../../../shared/core/served_models';

test('model=version pairs read and write back sorted by model; the empty string is nothing', () => {
  expect(parseModelVersions('leaves=v2, fraud=v3', 'X')).toEqual({ leaves: 'v2', fraud: 'v3' });
  expect(formatModelVersions({ leaves: 'v2', fraud: 'v3' })).toBe('fraud=v3,leaves=v2');
  expect(parseModelVersions('', 'X')).toEqual({});
  expect(sameServedModels({ models: { a: '1', b: '2' }, shadows: {} }, { models: { b: '2', a: '1' }, shadows: {} })).toBe(true);
});

test('anything else is an invalid_argument naming the variable and the item', () => {
  for (const bad of ['fraud', 'fraud=', '=v1', 'fraud=v1=v2', 'fraud=v1,fraud=v2', 'fr aud=v1']) {
    expect(() => parseModelVersions(bad, 'MLOOP_SERVED_MODELS')).toThrow(expect.objectContaining({ code: 'invalid_argument', message: expect.stringMatching(/^MLOOP_SERVED_MODELS: /) }));
  }
});
