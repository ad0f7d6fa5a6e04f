import { purchaseCents } from './money';

describe('purchaseCents', () => {
  it('is price in cents times quantity, rounded per unit, 0 without a price', () => {
    expect(purchaseCents({ price: 19.99, quantity: 3 })).toBe(5997);
    expect(purchaseCents({ price: 0.1 + 0.2, quantity: 1 })).toBe(30);
    expect(purchaseCents({ price: 1.005, quantity: 2 })).toBe(200);
    expect(purchaseCents({ quantity: 4 })).toBe(0);
  });

  it('sums exactly where floats drift', () => {
    const cents = Array.from({ length: 10 }, () =>
      purchaseCents({ price: 0.1, quantity: 1 }),
    ).reduce((a, b) => a + b, 0);
    expect(cents).toBe(100);
  });
});
