/** Temporary copies of the digits ensemble with another rule or weights, for end-to-end tests. */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

export const DIGITS_DIR = fileURLToPath(new URL('../../ensembles/digits/', import.meta.url));

export const GEOMETRIC_MEAN_RULE = `// Geometric mean of the members' probabilities, renormalised per row.
export default function combine({ outputs }) {
  const combined = {};
  for (const [name, { shape, data }] of Object.entries(outputs)) {
    const classes = shape[shape.length - 1];
    const out = new Float32Array(data[0].length);
    for (let base = 0; base < out.length; base += classes) {
      let norm = 0;
      const row = new Float64Array(classes);
      for (let c = 0; c < classes; c++) {
        let logs = 0;
        for (const member of data) logs += Math.log(Math.max(member[base + c], 1e-12));
        row[c] = Math.exp(logs / data.length);
        norm += row[c];
      }
      for (let c = 0; c < classes; c++) out[base + c] = row[c] / norm;
    }
    combined[name] = out;
  }
  return combined;
}
`;

export interface Variant {
  dir: string;
  weights: number[];
  remove(): void;
}

/** Copies the digits ensemble into a temp folder with the given rule (and weights for weighted-mean). */
export function digitsVariant(rule: string, weights?: number[], batching?: Record<string, number>): Variant {
  const dir = mkdtempSync(join(tmpdir(), `tutti-e2e-${rule}-`));
  cpSync(join(DIGITS_DIR, 'models'), join(dir, 'models'), { recursive: true });
  const manifest = parse(readFileSync(join(DIGITS_DIR, 'manifest.yaml'), 'utf8')) as {
    members: { name: string; weight?: number }[];
    rule: unknown;
    name: string;
    batching: Record<string, number>;
  };
  if (batching) manifest.batching = { ...manifest.batching, ...batching };
  manifest.name = `digits-${rule}`;
  manifest.members.forEach((member, i) => {
    if (weights) member.weight = weights[i]!;
    else delete member.weight;
  });
  if (rule === 'geometric-mean') {
    mkdirSync(join(dir, 'rules'));
    writeFileSync(join(dir, 'rules', 'geometric-mean.mjs'), GEOMETRIC_MEAN_RULE);
    manifest.rule = { module: './rules/geometric-mean.mjs' };
  } else manifest.rule = rule;
  writeFileSync(join(dir, 'manifest.yaml'), stringify(manifest));
  return { dir, weights: weights ?? manifest.members.map(() => 1), remove: () => rmSync(dir, { recursive: true, force: true }) };
}
