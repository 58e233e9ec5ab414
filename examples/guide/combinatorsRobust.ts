import { applyIfFinite, applyUpdates, lookahead, sgd } from '../../src/index.js';

// applyIfFinite: a step whose gradient holds a NaN or an infinity is skipped (zero update, the
// inner state kept as it was), up to maxConsecutiveErrors steps in a row.
const robust = applyIfFinite(sgd({ learningRate: 0.1, momentum: 0.9 }), { maxConsecutiveErrors: 3 });
let params = { w: Float64Array.from([1]) };
let state = robust.init(params);
for (const g of [1, Number.NaN, 1]) {
  const [updates, next] = robust.update({ w: Float64Array.of(g) }, state, params);
  params = applyUpdates(params, updates);
  state = next;
}
console.log(params.w[0], state.totalNotfinite); // 0.71 1: two good steps (the second with momentum), one skipped

// lookahead: the params you hold are the fast weights; the slow weights live in the state and
// move halfway towards the fast ones every 2 steps (evaluate with state.slow).
const opt = lookahead(sgd({ learningRate: 0.1 }), { syncPeriod: 2, slowStepSize: 0.5 });
let p = { w: Float64Array.from([1]) };
let s = opt.init(p);
for (let k = 0; k < 2; k++) {
  const [u, next] = opt.update({ w: Float64Array.of(1) }, s, p);
  p = applyUpdates(p, u);
  s = next;
}
console.log(p.w[0], (s.slow as { w: Float64Array }).w[0]); // 0.9 0.9: fast weights 0.8, slow 1 → both 0.9
