/**
 * tutti's one seeded PRNG, so a zoo spec names its weights exactly (the same seed gives the same bytes
 * on every machine), and training, load generation and tests are reproducible: mulberry32 for
 * uniforms (32-bit state, integer arithmetic only) and Box-Muller for normals.
 */

/** mulberry32: uniform floats in [0, 1) from a 32-bit seed, used as the state as given. */
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

export class SeededRandom {
  #uniform: () => number;
  /** Box-Muller makes normals in pairs; the second one waits here. */
  #spare: number | undefined;

  constructor(seed: number) {
    // Mix the seed so that nearby seeds (1, 2, 3) start from unrelated states.
    this.#uniform = mulberry32(Math.imul((seed | 0) ^ 0x9e3779b9, 0x85ebca6b));
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.#uniform();
  }

  /** Standard normal. */
  normal(): number {
    if (this.#spare !== undefined) {
      const spare = this.#spare;
      this.#spare = undefined;
      return spare;
    }
    // 1 - uniform() is in (0, 1], so the logarithm is finite.
    const radius = Math.sqrt(-2 * Math.log(1 - this.uniform()));
    const angle = 2 * Math.PI * this.uniform();
    this.#spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  /** length normals with the given standard deviation. */
  normals(length: number, std: number): Float32Array {
    const values = new Float32Array(length);
    for (let i = 0; i < length; i++) values[i] = this.normal() * std;
    return values;
  }
}
