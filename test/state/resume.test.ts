/**
 * Resume equivalence: K steps, save (JSON through stringify/parse, and binary), load into a
 * freshly built optimizer, M more steps. Params, updates and state must be bit-identical to the
 * run that never stopped, for every optimizer in the registry and in both dtypes.
 */
import { describe, expect, it } from 'vitest';
import type { GradientTransformation } from '../../src/base.js';
import { chain } from '../../src/combine/chain.js';
import { injectHyperparams } from '../../src/combine/injectHyperparams.js';
import { adamw } from '../../src/optimizers/adam.js';
import { warmupCosineDecay } from '../../src/schedules/warmup.js';
import { loadStateBinary, saveStateBinary } from '../../src/state/binary.js';
import { loadState, saveState } from '../../src/state/snapshot.js';
import { clipByGlobalNorm } from '../../src/transforms/clipping.js';
import type { Dtype } from '../../src/tree/leaf.js';
import { ALL } from '../helpers/registry.js';
import { firstDifference, modelParams, train } from './helpers.js';

interface Row {
  readonly name: string;
  readonly make: () => GradientTransformation<unknown>;
}

const schedule = (): ReturnType<typeof warmupCosineDecay> => warmupCosineDecay({ initValue: 0, peakValue: 0.1, warmupSteps: 3, decaySteps: 20, endValue: 1e-3 });

const ROWS: readonly Row[] = [
  ...ALL,
  { name: 'chain(clipByGlobalNorm(1), adamw(warmupCosineDecay))', make: () => chain(clipByGlobalNorm(1), adamw({ learningRate: schedule() })) },
  { name: 'injectHyperparams(adamw)', make: () => injectHyperparams(adamw)({ learningRate: schedule(), weightDecay: 1e-2 }) },
];

const K = 4;
const M = 5;

type Form = 'json' | 'binary';

function roundTrip(form: Form, state: unknown, optimizer: GradientTransformation<unknown>, fresh: GradientTransformation<unknown>, params: ReturnType<typeof modelParams>): unknown {
  if (form === 'json') return loadState(JSON.parse(JSON.stringify(saveState(state, optimizer))) as unknown, fresh, params);
  return loadStateBinary(saveStateBinary(state, optimizer), fresh, params);
}

describe.each(ROWS)('$name', (row) => {
  describe.each<[Dtype, Form, boolean]>([
    ['float32', 'json', false],
    ['float64', 'json', false],
    ['float32', 'binary', false],
    ['float64', 'binary', false],
    ['float32', 'json', true],
    ['float64', 'binary', true],
  ])('%s, %s%s', (dtype, form, specials) => {
    it(`resumes bit for bit after ${String(K)} steps${specials ? ' (NaN, ±Infinity, -0, subnormals in the gradients)' : ''}`, () => {
      const optimizer = row.make();
      const start = modelParams(dtype);
      const first = train(optimizer, start, optimizer.init(start), 0, K, specials);
      const straight = train(optimizer, first.params, first.state, K, M, specials);

      const fresh = row.make();
      const loaded = roundTrip(form, first.state, optimizer, fresh, first.params);
      expect(firstDifference(loaded, first.state)).toBeUndefined();
      const resumed = train(fresh, first.params, loaded, K, M, specials);

      expect(resumed.records).toHaveLength(M);
      resumed.records.forEach((r, i) => {
        const s = straight.records[i];
        expect(firstDifference(r.updates, s?.updates), `updates of step ${String(K + i)}`).toBeUndefined();
        expect(firstDifference(r.params, s?.params), `params after step ${String(K + i)}`).toBeUndefined();
        expect(firstDifference(r.state, s?.state), `state after step ${String(K + i)}`).toBeUndefined();
      });
    });
  });
});

describe('the comparison is sharp', () => {
  it('a resumed run from a state one step off differs', () => {
    const row = ROWS[ROWS.length - 2] as Row;
    const optimizer = row.make();
    const start = modelParams('float32');
    const first = train(optimizer, start, optimizer.init(start), 0, K);
    const offByOne = train(optimizer, start, optimizer.init(start), 0, K - 1);
    const loaded = loadState(JSON.parse(JSON.stringify(saveState(offByOne.state, optimizer))) as unknown, row.make(), first.params);
    const straight = train(optimizer, first.params, first.state, K, 1);
    const resumed = train(row.make(), first.params, loaded, K, 1);
    expect(firstDifference(resumed.records[0]?.updates, straight.records[0]?.updates)).toBeDefined();
  });
});
