/**
 * Trains the members of ensembles/digits from ensembles/digits/data/digits.csv.gz and writes them
 * as ONNX, plus the fixed held-out split that every test and demo evaluates on.
 *
 *   npx tsx scripts/train-digits.ts
 *
 * Deterministic: the split, bootstrap samples, pixel subsets and initial weights all come from
 * fixed seeds, so re-running writes the same split and (up to libm differences) the same models.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { mlpFromWeights } from '@tutti/zoo';
import { DIGITS_DATA_DIR, readDigits, type DigitsSplit } from '../ensembles/digits/data.js';
import { accuracy, combine, disagreements, type Rule } from './digits/evaluate.js';
import { predict } from './digits/mlp.js';
import { CLASSES, INPUT_SCALE, MEMBERS, PIXELS, inputsOf, trainMember } from './digits/members.js';
import { mulberry32, shuffle } from './digits/prng.js';

const SPLIT_SEED = 20_250_601;
const TEST_FRACTION = 0.25;
const MODELS_DIR = fileURLToPath(new URL('../ensembles/digits/models/', import.meta.url));

const started = performance.now();
const digits = readDigits();

// The split: a seeded shuffle, first 25% held out. Written out so nobody recomputes it differently.
const order = shuffle(
  digits.labels.map((_, i) => i),
  mulberry32(SPLIT_SEED),
);
const testCount = Math.round(digits.labels.length * TEST_FRACTION);
const testRows = order.slice(0, testCount).sort((a, b) => a - b);
const trainRows = order.slice(testCount).sort((a, b) => a - b);
const split: DigitsSplit = { seed: SPLIT_SEED, testFraction: TEST_FRACTION, test: testRows };
writeFileSync(`${DIGITS_DATA_DIR}split.json`, `${JSON.stringify(split)}\n`);
console.log(`digits: ${digits.labels.length} rows, ${trainRows.length} train, ${testRows.length} held out`);

mkdirSync(MODELS_DIR, { recursive: true });
const testInputs = inputsOf(digits, testRows);
const testLabels = testRows.map((r) => digits.labels[r]!);
const memberProbs: Float32Array[] = [];
const pad = Math.max(...MEMBERS.map((m) => m.name.length), 'ensemble (mean)'.length);

for (const spec of MEMBERS) {
  const t0 = performance.now();
  const layers = trainMember(spec, digits, trainRows);
  const probs = predict(layers, testInputs);
  memberProbs.push(probs);
  const onnx = mlpFromWeights({
    inputName: 'pixels',
    outputName: 'probabilities',
    inputSize: PIXELS,
    inputScale: INPUT_SCALE,
    layers: layers.map(({ weight, bias, activation }) => ({ weight, bias, activation })),
  });
  writeFileSync(`${MODELS_DIR}${spec.name}.onnx`, onnx);
  const seconds = ((performance.now() - t0) / 1000).toFixed(2);
  console.log(
    `${spec.name.padEnd(pad)}  ${pct(accuracy(probs, testLabels, CLASSES))}  (${seconds} s, ${onnx.length} bytes)  ${spec.summary}`,
  );
}

const best = Math.max(...memberProbs.map((p) => accuracy(p, testLabels, CLASSES)));
const results = (['mean', 'vote', 'max'] as Rule[]).map((rule) => ({
  rule,
  acc: accuracy(combine(rule, memberProbs, CLASSES), testLabels, CLASSES),
}));
for (const { rule, acc } of results) console.log(`${`ensemble (${rule})`.padEnd(pad)}  ${pct(acc)}`);

console.log('\npairwise disagreements on the held-out rows:');
MEMBERS.forEach((a, i) =>
  MEMBERS.forEach((b, j) => {
    if (j > i) console.log(`  ${a.name} / ${b.name}: ${disagreements(memberProbs[i]!, memberProbs[j]!, CLASSES)}`);
  }),
);

console.log('\nREADME table:\n\n| model | held-out accuracy |\n|---|---|');
MEMBERS.forEach((m, i) => console.log(`| ${m.name} | ${pct(accuracy(memberProbs[i]!, testLabels, CLASSES))} |`));
for (const { rule, acc } of results) console.log(`| **ensemble, ${rule}** | ${pct(acc)} |`);
console.log(`\ntrained in ${((performance.now() - started) / 1000).toFixed(1)} s`);

// The point of the ensemble: averaging must beat every member on rows none of them trained on.
const mean = results[0]!.acc;
if (!(mean > best)) {
  console.error(`ensemble mean ${pct(mean)} does not beat the best member ${pct(best)}`);
  process.exitCode = 1;
}

function pct(x: number): string {
  return `${(100 * x).toFixed(2)}% (${Math.round(x * testLabels.length)}/${testLabels.length})`;
}
