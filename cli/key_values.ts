import { invalid } from '../shared/core/errors';

/** A repeatable `--flag key=value` option's collector: each value must be `key=value`. */
export function keyValue(flag: string): (value: string, previous: Record<string, string> | undefined) => Record<string, string> {
  return (value, previous) => {
    const at = value.indexOf('=');
    if (at < 1) throw invalid(`${flag} ${value}: expected key=value`);
    return { ...(previous ?? {}), [value.slice(0, at)]: value.slice(at + 1) };
  };
}

/** A parameter's value as JSON when it is JSON (31, 0.1, true, [1,2]), else the text itself. */
export function paramValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
