/**
 * The static world the generator's users live in: a product catalogue (REES46-style category codes,
 * brands, log-normal prices, Zipf popularity), countries with IP blocks, browsers and referrers.
 * Built once from a fixed seed, so product ids and prices are the same for every generator seed.
 */
import { hash32, Rng } from './prng';

export const SHOP_ORIGIN = 'https://shop.example.com';

export interface Category {
  index: number;
  id: string;
  code: string;
  /** Median list price (USD). */
  median: number;
  brands: readonly string[];
  /** Search terms a user would type for it. */
  terms: readonly string[];
}

export interface Product {
  index: number;
  id: string;
  category: Category;
  brand: string;
  price: number;
}

/** Highest list price; normal users' purchase caps rely on it staying far below high_value. */
export const MAX_LIST_PRICE = 2_499.99;

const CATEGORY_SPECS: ReadonlyArray<[string, number, string[], string[]]> = [
  [
    'electronics.smartphone',
    320,
    ['samsung', 'apple', 'xiaomi', 'huawei', 'oppo'],
    ['phone', 'smartphone', 'iphone'],
  ],
  [
    'electronics.audio.headphone',
    45,
    ['sony', 'jbl', 'apple', 'samsung', 'sennheiser'],
    ['headphones', 'earbuds'],
  ],
  ['electronics.video.tv', 520, ['samsung', 'lg', 'sony', 'tcl'], ['tv', '4k tv', 'oled']],
  ['electronics.clocks', 180, ['apple', 'garmin', 'samsung', 'casio'], ['smartwatch', 'watch']],
  ['electronics.tablet', 290, ['apple', 'samsung', 'lenovo'], ['tablet', 'ipad']],
  [
    'computers.notebook',
    780,
    ['lenovo', 'hp', 'asus', 'acer', 'apple', 'dell'],
    ['laptop', 'notebook'],
  ],
  ['computers.desktop', 650, ['hp', 'dell', 'lenovo'], ['desktop pc']],
  ['computers.peripherals.mouse', 18, ['logitech', 'razer', 'a4tech'], ['mouse', 'gaming mouse']],
  [
    'computers.components.videocards',
    430,
    ['msi', 'gigabyte', 'asus', 'palit'],
    ['rtx', 'graphics card'],
  ],
  [
    'appliances.kitchen.refrigerators',
    540,
    ['lg', 'samsung', 'bosch', 'beko'],
    ['fridge', 'refrigerator'],
  ],
  ['appliances.kitchen.washer', 380, ['bosch', 'lg', 'samsung', 'indesit'], ['washing machine']],
  [
    'appliances.environment.vacuum',
    140,
    ['dyson', 'philips', 'samsung', 'xiaomi'],
    ['vacuum', 'robot vacuum'],
  ],
  ['appliances.kitchen.coffee_machine', 210, ['delonghi', 'philips', 'krups'], ['coffee machine']],
  ['appliances.kitchen.kettle', 28, ['tefal', 'philips', 'bosch'], ['kettle']],
  [
    'apparel.shoes.sneakers',
    75,
    ['nike', 'adidas', 'puma', 'reebok'],
    ['sneakers', 'running shoes'],
  ],
  ['apparel.shoes', 60, ['ecco', 'geox', 'clarks'], ['shoes', 'boots']],
  ['apparel.trousers', 40, ['levis', 'wrangler', 'zara'], ['jeans', 'trousers']],
  ['apparel.jacket', 95, ['columbia', 'northface', 'zara'], ['jacket', 'coat']],
  ['furniture.living_room.sofa', 470, ['ikea', 'askona'], ['sofa', 'couch']],
  ['furniture.bedroom.bed', 390, ['ikea', 'askona'], ['bed', 'mattress']],
  ['furniture.kitchen.chair', 55, ['ikea', 'sheffilton'], ['chair']],
  ['kids.toys', 22, ['lego', 'hasbro', 'mattel'], ['lego', 'toys']],
  ['kids.carriage', 260, ['cybex', 'chicco', 'britax'], ['stroller', 'pram']],
  ['sport.bicycle', 420, ['trek', 'giant', 'merida', 'stels'], ['bike', 'bicycle']],
  ['sport.trainer', 310, ['torneo', 'proxima', 'oxygen'], ['treadmill', 'exercise bike']],
  ['auto.accessories.player', 85, ['pioneer', 'sony', 'kenwood'], ['car stereo']],
  ['construction.tools.drill', 95, ['bosch', 'makita', 'dewalt'], ['drill', 'screwdriver']],
  ['accessories.bag', 48, ['samsonite', 'xiaomi', 'tigernu'], ['backpack', 'bag']],
  ['country_yard.lawn_mower', 230, ['husqvarna', 'bosch', 'makita'], ['lawn mower']],
  ['medicine.tools.tonometer', 35, ['omron', 'and', 'microlife'], ['blood pressure monitor']],
  ['stationery.cartrige', 30, ['hp', 'canon', 'epson'], ['ink cartridge', 'toner']],
  ['beauty.fragrance', 62, ['chanel', 'dior', 'hugo'], ['perfume', 'fragrance']],
];

const PRODUCTS_PER_CATEGORY = 60;
const CATALOGUE_SEED = 20_240_601;

export interface Catalogue {
  categories: readonly Category[];
  products: readonly Product[];
  /** Cumulative Zipf weights over `products`, for popularity-weighted picks. */
  popularity: Float64Array;
  /** Per category: product indices and their cumulative popularity. */
  byCategory: ReadonlyArray<{ products: Int32Array; popularity: Float64Array }>;
}

let catalogue: Catalogue | undefined;

export function getCatalogue(): Catalogue {
  catalogue ??= buildCatalogue();
  return catalogue;
}

function buildCatalogue(): Catalogue {
  const rng = new Rng(CATALOGUE_SEED);
  const categories: Category[] = CATEGORY_SPECS.map(([code, median, brands, terms], index) => ({
    index,
    id: String(2_053_013_552_000_000_000n + BigInt(index) * 7_919n),
    code,
    median,
    brands,
    terms,
  }));
  const products: Product[] = [];
  for (const category of categories) {
    for (let k = 0; k < PRODUCTS_PER_CATEGORY; k++) {
      const raw = Math.min(MAX_LIST_PRICE, Math.max(0.99, rng.logNormal(category.median, 0.55)));
      const price = raw < 10 ? Math.round(raw * 100) / 100 : Math.floor(raw) + 0.99;
      products.push({
        index: products.length,
        id: String(1_000_000 + category.index * 10_000 + k * 37),
        category,
        brand: rng.pick(category.brands),
        price: Math.min(price, MAX_LIST_PRICE),
      });
    }
  }
  // Zipf(1.1) popularity over a shuffled order, so best sellers are spread over categories.
  const order = rng.shuffle(Array.from(products, (_, i) => i));
  const weight = new Float64Array(products.length);
  order.forEach((productIndex, rank) => (weight[productIndex] = 1 / Math.pow(rank + 1, 1.1)));
  const popularity = cumulative(weight);
  const byCategory = categories.map((category) => {
    const indices = Int32Array.from(
      products.filter((p) => p.category === category).map((p) => p.index),
    );
    return { products: indices, popularity: cumulative(Array.from(indices, (i) => weight[i])) };
  });
  return { categories, products, popularity, byCategory };
}

function cumulative(weights: ArrayLike<number>): Float64Array {
  const out = new Float64Array(weights.length);
  let sum = 0;
  for (let i = 0; i < weights.length; i++) out[i] = sum += weights[i];
  return out;
}

export function pickProduct(rng: Rng, categoryIndex?: number): Product {
  const cat = getCatalogue();
  if (categoryIndex === undefined) return cat.products[rng.weighted(cat.popularity)];
  const inCategory = cat.byCategory[categoryIndex];
  return cat.products[inCategory.products[rng.weighted(inCategory.popularity)]];
}

/** The cheapest product, at most `maxPrice` when one is (used by purchase_velocity injection). */
export function cheapProducts(maxPrice: number): Product[] {
  return getCatalogue().products.filter((p) => p.price <= maxPrice);
}

// ---------------------------------------------------------------------------------------------
// Geography and devices

export interface Country {
  code: string;
  weight: number;
  /** First octets of the (made-up but stable) address blocks the country's users come from. */
  octets: readonly number[];
}

export const COUNTRIES: readonly Country[] = [
  { code: 'US', weight: 30, octets: [23, 24, 50, 64, 66, 68, 72, 73, 98, 104] },
  { code: 'DE', weight: 9, octets: [46, 77, 79, 84, 87, 91] },
  { code: 'GB', weight: 8, octets: [51, 81, 86, 90, 92] },
  { code: 'FR', weight: 6, octets: [78, 82, 88, 90] },
  { code: 'IN', weight: 7, octets: [49, 103, 106, 117] },
  { code: 'BR', weight: 5, octets: [177, 179, 186, 189] },
  { code: 'CA', weight: 4, octets: [70, 99, 142, 174] },
  { code: 'ES', weight: 3, octets: [83, 85, 88, 95] },
  { code: 'IT', weight: 3, octets: [79, 93, 151] },
  { code: 'NL', weight: 3, octets: [77, 82, 145] },
  { code: 'PL', weight: 3, octets: [37, 78, 83, 89] },
  { code: 'JP', weight: 4, octets: [60, 114, 126, 133] },
  { code: 'AU', weight: 3, octets: [1, 49, 101, 110] },
  { code: 'SE', weight: 2, octets: [78, 83, 90] },
  { code: 'MX', weight: 3, octets: [187, 189, 200, 201] },
  { code: 'KR', weight: 2, octets: [1, 58, 112, 121] },
];

export const COUNTRY_WEIGHTS = (() => {
  const out = new Float64Array(COUNTRIES.length);
  let sum = 0;
  COUNTRIES.forEach((c, i) => (out[i] = sum += c.weight));
  return out;
})();

/** A stable IPv4 address in `country`'s blocks, chosen by the hash parts. */
export function ipIn(country: Country, ...parts: number[]): string {
  const h = hash32(...parts);
  const first = country.octets[h % country.octets.length];
  const h2 = hash32(h, 17);
  return `${first}.${h2 & 255}.${(h2 >>> 8) & 255}.${1 + ((h2 >>> 16) % 254)}`;
}

export const USER_AGENTS: readonly string[] = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0',
  'Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
];

export const MOBILE_USER_AGENTS: readonly string[] = [
  USER_AGENTS[2],
  USER_AGENTS[3],
  USER_AGENTS[6],
];

export const BOT_USER_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.0.0 Safari/537.36';

/** Where visits come from; undefined = direct (no referrer). */
export const EXTERNAL_REFERRERS: ReadonlyArray<string | undefined> = [
  'https://www.google.com/',
  'https://www.google.com/',
  'https://www.google.com/',
  'https://www.bing.com/',
  'https://www.facebook.com/',
  'https://www.instagram.com/',
  'https://t.co/',
  'https://mail.example.org/newsletter',
  undefined,
  undefined,
];
