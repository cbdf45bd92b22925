/**
 * A small seeded PRNG so that training is reproducible bit for bit: Math.random cannot be seeded.
 */

/** mulberry32, tutti's one seeded generator (in @tutti/zoo): plenty for shuffles and initialisation. */
export { mulberry32 } from '@tutti/zoo';

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
