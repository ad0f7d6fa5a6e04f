import { renderTable } from './table';

describe('renderTable', () => {
  it('pads columns to their widest cell and shows missing values as -', () => {
    expect(
      renderTable(
        ['a', 'long'],
        [
          ['xyz', 1],
          [null, 'v'],
        ],
      ),
    ).toBe(['a    long', '---  ----', 'xyz  1', '-    v'].join('\n'));
  });
});
