import { adamw, chain, clipByGlobalNorm, decodeSpec, parseSpec, toSpec, warmupCosineDecay } from '../src/index.js';

// Every optimizer gradfuse builds is data: toSpec gives its JSON, with the defaults filled in.
const optimizer = chain(
  clipByGlobalNorm(1),
  adamw({
    learningRate: warmupCosineDecay({ initValue: 0, peakValue: 1e-3, warmupSteps: 100, decaySteps: 10_000 }),
    weightDecay: 1e-2,
  }),
);
const json = JSON.stringify(toSpec(optimizer));

// parseSpec (also named fromSpec) reads it back: the same optimizer, bit for bit.
const again = parseSpec(JSON.parse(json));
console.log(JSON.stringify(toSpec(again)) === json); // true

// A spec written by hand may leave the defaults out.
console.log(toSpec(parseSpec({ op: 'adamw', learningRate: 1e-3 })).b2); // 0.999

// decodeSpec never throws: it returns every problem, each with its JSON path.
const result = decodeSpec({
  op: 'chain',
  transforms: [{ op: 'clipByGlobalNorm', maxNorm: 1 }, { op: 'adamw', learningRate: '1e-3', b3: 0.9 }],
});
if (result._tag === 'Left') for (const problem of result.left) console.log(problem.message);

// Ranges are checked by the constructors themselves, at the same paths.
try {
  parseSpec({ op: 'chain', transforms: [{ op: 'clipByGlobalNorm', maxNorm: -1 }, { op: 'sgd', learningRate: 0.1, momentum: 1.5 }] });
} catch (e) {
  console.log((e as Error).message);
}
