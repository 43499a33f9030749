/**
 * Where a JSON text stops being JSON, as line and column: V8's messages give an offset for some
 * mistakes and only a quoted excerpt for others ("Unexpected token"), and neither is what an editor
 * shows. A strict reading of RFC 8259 that stops at the first character it cannot take.
 */
export interface JsonMistake {
  line: number;
  column: number;
  /** The character found there, or null at the end of the text. */
  found: string | null;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPE = /\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})/y;

export function locateJsonMistake(text: string): JsonMistake | null {
  let i = 0;
  const stop = (): never => {
    throw new JsonStop();
  };
  const space = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const expect = (c: string) => (text[i] === c ? i++ : stop());
  const string = () => {
    expect('"');
    while (i < text.length && text[i] !== '"') {
      if (text.charCodeAt(i) < 0x20) stop();
      if (text[i] === '\\') {
        ESCAPE.lastIndex = i;
        if (!ESCAPE.test(text)) stop();
        i = ESCAPE.lastIndex;
      } else i++;
    }
    expect('"');
  };
  const value = (): void => {
    space();
    const c = text[i];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      space();
      if (text[i] === close) {
        i++;
        return;
      }
      for (;;) {
        if (c === '{') {
          space();
          string();
          space();
          expect(':');
        }
        value();
        space();
        if (text[i] === ',') i++;
        else return void expect(close);
      }
    }
    if (c === '"') return string();
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return;
      }
    }
    NUMBER.lastIndex = i;
    if (!NUMBER.test(text)) stop();
    i = NUMBER.lastIndex;
  };
  try {
    value();
    space();
    if (i < text.length) stop();
    return null;
  } catch (err) {
    // a nesting too deep for the stack: V8's own message has to do
    if (!(err instanceof JsonStop)) return null;
  }
  const before = text.slice(0, i);
  const line = before.split('\n').length;
  return { line, column: i - before.lastIndexOf('\n'), found: i < text.length ? text[i] : null };
}

class JsonStop extends Error {}
