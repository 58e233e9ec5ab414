import {
  SnapshotError,
  adamw,
  applyUpdates,
  chain,
  clipByGlobalNorm,
  loadState,
  loadStateBinary,
  saveState,
  saveStateBinary,
  warmupCosineDecay,
} from '../src/index.js';

type Params = { w: Float32Array; b: Float32Array };
const makeOptimizer = () =>
  chain(clipByGlobalNorm(1), adamw({ learningRate: warmupCosineDecay({ initValue: 0, peakValue: 0.1, warmupSteps: 10, decaySteps: 100 }), weightDecay: 1e-4 }));
type State = ReturnType<ReturnType<typeof makeOptimizer>['init']>;

// Minimise (w - 1)² + (b + 2)² for `steps` steps, from (params, state).
function train(optimizer: ReturnType<typeof makeOptimizer>, params: Params, state: State, steps: number): [Params, State] {
  for (let k = 0; k < steps; k++) {
    const grads = { w: params.w.map((w) => 2 * (w - 1)), b: params.b.map((b) => 2 * (b + 2)) };
    const [updates, next] = optimizer.update(grads, state, params);
    params = applyUpdates(params, updates);
    state = next;
  }
  return [params, state];
}

const optimizer = makeOptimizer();
const start = { w: Float32Array.from([0.5, -1.5, 2]), b: Float32Array.from([0]) };
const [params, state] = train(optimizer, start, optimizer.init(start), 30);

// Checkpoint: JSON text (a file, a database row) or compact bytes (raw little-endian floats).
const text = JSON.stringify(saveState(state, optimizer));
const bytes = saveStateBinary(state, optimizer);

// Later, maybe in another process: build the optimizer with the same code, load against the params.
const resumed = makeOptimizer();
const fromText = loadState(JSON.parse(text), resumed, params);
const fromBytes = loadStateBinary(bytes, resumed, params);

// Resuming is exact: 30 more steps give the same bits as 30 more steps that never stopped.
const [straight] = train(optimizer, params, state, 30);
const [again] = train(resumed, params, fromText, 30);
const [againFromBytes] = train(resumed, params, fromBytes, 30);
const same = (a: Params, b: Params) => [...a.w, ...a.b].every((x, i) => Object.is(x, [...b.w, ...b.b][i]));
console.log('resumed == uninterrupted:', same(straight, again), same(straight, againFromBytes));
console.log(`${String(text.length)} characters of JSON, ${String(bytes.length)} bytes`);

// A snapshot refuses to load into a different optimizer, naming the first difference.
try {
  loadState(JSON.parse(text), chain(clipByGlobalNorm(0.5), adamw({ learningRate: 1e-3 })), params);
} catch (e) {
  if (e instanceof SnapshotError) console.log(e.reason, e.path); // spec spec.transforms[0].maxNorm
}
