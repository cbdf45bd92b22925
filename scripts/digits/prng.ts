/**
 * A small seeded PRNG so that training is reproducible bit for bit: Math.random cannot be seeded.
 */

/** mulberry32: 32-bit state, uniform floats in [0, 1). Plenty for shuffles and initialisation. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates shuffle in place. */
export function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** A bootstrap sample: as many draws with replacement as there are items. */
export function bootstrap<T>(items: T[], random: () => number): T[] {
  return items.map(() => items[Math.floor(random() * items.length)]!);
}

/** A standard normal draw (Box–Muller), for weight initialisation. */
export function gaussian(random: () => number): number {
  const u = 1 - random(); // (0, 1]: log(0) would be -Infinity
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}
