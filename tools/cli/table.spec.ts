import { itemTable, renderTable } from './table';

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

describe('itemTable', () => {
  it('shows a field as it is, or the cell a column computes, under its header', () => {
    const render = itemTable<{ name: string; cents: number }>([
      'name',
      ['euros', (item) => (item.cents / 100).toFixed(2)],
    ]);
    expect(render([{ name: 'pen', cents: 150 }])).toBe(
      ['name  euros', '----  -----', 'pen   1.50'].join('\n'),
    );
  });
});
