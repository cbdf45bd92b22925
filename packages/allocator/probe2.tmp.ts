import { greedy } from './src/index.js';
import { randomProblem, seeded } from './test/support.js';
const random = seeded(42);
const problems = Array.from({ length: 60 }, (_, trial) => randomProblem(random, trial % 3 === 0 ? { latencyBudgetMs: 50 + random() * 200 } : {}));
const p = problems[38]!;
for (let k = 0; k < 3; k++) { const t = performance.now(); greedy(p); console.log((performance.now() - t).toFixed(1)); }
