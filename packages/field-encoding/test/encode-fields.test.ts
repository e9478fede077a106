import { encodeFields } from '../src/index.js';

describe('encodeFields', () => {
  it('writes the count, then each field as its UTF-8 byte length and bytes (big-endian u32)', () => {
    expect(encodeFields(['ab', 'é']).toString('hex')).toBe(
      ['00000002', '00000002', '6162', '00000002', 'c3a9'].join(''),
    );
    expect(encodeFields([]).toString('hex')).toBe('00000000');
    expect(encodeFields(['']).toString('hex')).toBe('0000000100000000');
  });

  it('keeps field boundaries: no two different lists encode alike', () => {
    const lists = [
      ['ab', 'c'],
      ['a', 'bc'],
      ['abc'],
      ['abc', ''],
      ['', 'abc'],
      ['SN-1', '2ab'],
      ['SN-12', 'ab'],
    ];
    const encodings = new Set(lists.map((list) => encodeFields(list).toString('hex')));
    expect(encodings.size).toBe(lists.length);
  });
});
