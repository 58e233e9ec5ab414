'use strict';
// gradfuse kernel 17b51ed4651171, pass0 (pass 1 of 2): folds the reductions of clipByGlobalNorm; stores nothing
// stages: clipByGlobalNorm
function pass0(seg, s, red, ls, lred, b) {
  const g_f32 = b[0];
  let acc0 = 0;
  for (let k = 0; k < seg.length; k += 4) {
    const lo = seg[k];
    const hi = seg[k + 1];
    for (let i = lo; i < hi; i++) {
      const g0 = g_f32[i];
      acc0 = acc0 + g0 * g0;
    }
  }
  red[0] = acc0;
}
return pass0;
//# sourceURL=gradfuse-kernel-17b51ed4651171-pass0.js

'use strict';
// gradfuse kernel 17b51ed4651171, pass1 (pass 2 of 2): stores: slots and params in place
// stages: clipByGlobalNorm > scaleByAdam > addDecayedWeights > scaleByLearningRate
function pass1(seg, s, red, ls, lred, b) {
  const g_f32 = b[0];
  const mu$1_f32 = b[1];
  const nu$1_f32 = b[2];
  const p_f32 = b[3];
  const s0 = s[0]; // clipByGlobalNorm.coef
  const s1 = s[1]; // scaleByAdam.b1
  const s2 = s[2]; // scaleByAdam.oneMinusB1
  const s3 = s[3]; // scaleByAdam.rbc1
  const s4 = s[4]; // scaleByAdam.b2
  const s5 = s[5]; // scaleByAdam.oneMinusB2
  const s6 = s[6]; // scaleByAdam.rbc2
  const s7 = s[7]; // scaleByAdam.epsRoot
  const s8 = s[8]; // scaleByAdam.eps
  const s9 = s[9]; // addDecayedWeights.weightDecay
  const s10 = s[10]; // scaleByLearningRate.lr
  for (let k = 0; k < seg.length; k += 4) {
    const lo = seg[k];
    const hi = seg[k + 1];
    for (let i = lo; i < hi; i++) {
      const mu$1 = mu$1_f32[i];
      const g0 = g_f32[i];
      const nu$1 = nu$1_f32[i];
      const p0 = p_f32[i];
      const u1 = Math.fround((g0 * s0));
      const t0 = ((s1 * mu$1) + (s2 * u1));
      const t1 = ((s4 * nu$1) + (s5 * (u1 * u1)));
      const u2 = Math.fround(((t0 * s3) / (Math.sqrt(((t1 * s6) + s7)) + s8)));
      const u3 = Math.fround((u2 + (s9 * p0)));
      const u4 = Math.fround((u3 * s10));
      mu$1_f32[i] = t0;
      nu$1_f32[i] = t1;
      p_f32[i] = (p0 + u4);
    }
  }
}
return pass1;
//# sourceURL=gradfuse-kernel-17b51ed4651171-pass1.js

'use strict';
// gradfuse kernel 17b51ed4651171, pass1Pure (pass 2 of 2): stores: slots and the outgoing updates (pure update)
// stages: clipByGlobalNorm > scaleByAdam > addDecayedWeights > scaleByLearningRate
function pass1Pure(seg, s, red, ls, lred, b) {
  const g_f32 = b[0];
  const mu$1_f32 = b[1];
  const nu$1_f32 = b[2];
  const p_f32 = b[3];
  const out_f32 = b[4];
  const s0 = s[0]; // clipByGlobalNorm.coef
  const s1 = s[1]; // scaleByAdam.b1
  const s2 = s[2]; // scaleByAdam.oneMinusB1
  const s3 = s[3]; // scaleByAdam.rbc1
  const s4 = s[4]; // scaleByAdam.b2
  const s5 = s[5]; // scaleByAdam.oneMinusB2
  const s6 = s[6]; // scaleByAdam.rbc2
  const s7 = s[7]; // scaleByAdam.epsRoot
  const s8 = s[8]; // scaleByAdam.eps
  const s9 = s[9]; // addDecayedWeights.weightDecay
  const s10 = s[10]; // scaleByLearningRate.lr
  for (let k = 0; k < seg.length; k += 4) {
    const lo = seg[k];
    const hi = seg[k + 1];
    for (let i = lo; i < hi; i++) {
      const mu$1 = mu$1_f32[i];
      const g0 = g_f32[i];
      const nu$1 = nu$1_f32[i];
      const p0 = p_f32[i];
      const u1 = Math.fround((g0 * s0));
      const t0 = ((s1 * mu$1) + (s2 * u1));
      const t1 = ((s4 * nu$1) + (s5 * (u1 * u1)));
      const u2 = Math.fround(((t0 * s3) / (Math.sqrt(((t1 * s6) + s7)) + s8)));
      const u3 = Math.fround((u2 + (s9 * p0)));
      const u4 = Math.fround((u3 * s10));
      mu$1_f32[i] = t0;
      nu$1_f32[i] = t1;
      out_f32[i] = u4;
    }
  }
}
return pass1Pure;
//# sourceURL=gradfuse-kernel-17b51ed4651171-pass1Pure.js
