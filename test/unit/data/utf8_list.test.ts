import { Utf8List } from '../../../shared/data/utf8_list';

describe('Utf8List', () => {
  it('gives back every text as it was pushed, through growth of its buffer and its index', () => {
    const list = new Utf8List(2);
    const texts = Array.from({ length: 500 }, (_, i) => (i % 7 === 0 ? `dé✓-${i}-😀` : i % 11 === 0 ? '' : `req-${i}-${'x'.repeat(i % 90)}`));
    texts.forEach((text, i) => expect(list.push(text)).toBe(i));
    expect(list.length).toBe(500);
    texts.forEach((text, i) => {
      expect(list.text(i)).toBe(text);
      expect(list.bytes(i).equals(Buffer.from(text, 'utf8'))).toBe(true);
    });
  });

  it('starts again from nothing when cleared', () => {
    const list = new Utf8List(4);
    list.push('first');
    list.push('second');
    list.clear();
    expect(list.length).toBe(0);
    expect(list.push('third')).toBe(0);
    expect(list.text(0)).toBe('third');
  });
});
