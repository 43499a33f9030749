import { locateJsonMistake } from '../../../cli/json_location';

describe('locateJsonMistake', () => {
  it('finds nothing wrong in valid JSON, as JSON.parse agrees', () => {
    for (const text of ['{"instances": [{"a": 1, "b": "x\\n\\u00e9"}, {"a": -1.5e3, "b": null}]}', ' [true, false] ', '"just a string"', '0']) {
      expect(() => JSON.parse(text)).not.toThrow();
      expect(locateJsonMistake(text)).toBeNull();
    }
  });

  it('gives the line and column of the first character JSON cannot take', () => {
    expect(locateJsonMistake('{"instances": [1,2,\n  {"a": }]}')).toEqual({ line: 2, column: 9, found: '}' });
    expect(locateJsonMistake('{"a": 1,}')).toEqual({ line: 1, column: 9, found: '}' });
    expect(locateJsonMistake("{'a': 1}")).toEqual({ line: 1, column: 2, found: "'" });
    expect(locateJsonMistake('[1]\n\n]')).toEqual({ line: 3, column: 1, found: ']' });
    expect(locateJsonMistake('[01]')).toEqual({ line: 1, column: 3, found: '1' });
    expect(locateJsonMistake('["tab\there"]')).toEqual({ line: 1, column: 6, found: '\t' });
    expect(locateJsonMistake('[NaN]')).toEqual({ line: 1, column: 2, found: 'N' });
  });

  it('says the text ends too early when a bracket or string is left open', () => {
    expect(locateJsonMistake('{"instances": [\n  {"a": 1}\n')).toEqual({ line: 3, column: 1, found: null });
    expect(locateJsonMistake('["open')).toEqual({ line: 1, column: 7, found: null });
    expect(locateJsonMistake('')).toEqual({ line: 1, column: 1, found: null });
  });

  it('agrees with JSON.parse on what is invalid', () => {
    const texts = ['{"a" 1}', '[1,,2]', '{"a":1 "b":2}', 'tru', '[1 2]', '{"a":"\\x"}', '-', '1.', '[.5]', '{"a":[}', '{,}', '[1]x'];
    for (const text of texts) {
      expect(() => JSON.parse(text)).toThrow();
      expect(locateJsonMistake(text)).not.toBeNull();
    }
  });
});
