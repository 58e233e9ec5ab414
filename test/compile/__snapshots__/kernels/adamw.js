'use strict';
// gradfuse kernel 0518e3baf23648, pass0 (pass 1 of 1): stores: slots and params in place
// stages: scaleByAdam > addDecayedWeights > scaleByLearningRate
function pass0(seg, s, red, ls, lred, b) {
  const g_f32 = b[0];
  const mu$0_f32 = b[1];
  const nu$0_f32 = b[2];
  const p_f32 = b[3];
  const s0 = s[0]; // scaleByAdam.b1
  const s1 = s[1]; // scaleByAdam.oneMinusB1
  const s2 = s[2]; // scaleByAdam.rbc1
  const s3 = s[3]; // scaleByAdam.b2
  const s4 = s[4]; // scaleByAdam.oneMinusB2
  const s5 = s[5]; // scaleByAdam.rbc2
  const s6 = s[6]; // scaleByAdam.epsRoot
  const s7 = s[7]; // scaleByAdam.eps
  const s8 = s[8]; // addDecayedWeights.weightDecay
  const s9 = s[9]; // scaleByLearningRate.lr
  for (let k = 0; k < seg.length; k += 4) {
    const lo = seg[k];
    const hi = seg[k + 1];
    for (let i = lo; i < hi; i++) {
      const mu$0 = mu$0_f32[i];
      const g0 = g_f32[i];
      const nu$0 = nu$0_f32[i];
      const p0 = p_f32[i];
      const t0 = ((s0 * mu$0) + (s1 * g0));
      const t1 = ((s3 * nu$0) + (s4 * (g0 * g0)));
      const u1 = Math.fround(((t0 * s2) / (Math.sqrt(((t1 * s5) + s6)) + s7)));
      const u2 = Math.fround((u1 + (s8 * p0)));
      const u3 = Math.fround((u2 * s9));
      mu$0_f32[i] = t0;
      nu$0_f32[i] = t1;
      p_f32[i] = (p0 + u3);
    }
  }
}
return pass0;
//# sourceURL=gradfuse-kernel-0518e3baf23648-pass0.js

'use strict';
// gradfuse kernel 0518e3baf23648, pass0Pure (pass 1 of 1): stores: slots and the outgoing updates (pure update)
// stages: scaleByAdam > addDecayedWeights > scaleByLearningRate
function pass0Pure(seg, s, red, ls, lred, b) {
  const g_f32 = b[0];
  const mu$0_f32 = b[1];
  const nu$0_f32 = b[2];
  const p_f32 = b[3];
  const out_f32 = b[4];
  const s0 = s[0]; // scaleByAdam.b1
  const s1 = s[1]; // scaleByAdam.oneMinusB1
  const s2 = s[2]; // scaleByAdam.rbc1
  const s3 = s[3]; // scaleByAdam.b2
  const s4 = s[4]; // scaleByAdam.oneMinusB2
  const s5 = s[5]; // scaleByAdam.rbc2
  const s6 = s[6]; // scaleByAdam.epsRoot
  const s7 = s[7]; // scaleByAdam.eps
  const s8 = s[8]; // addDecayedWeights.weightDecay
  const s9 = s[9]; // scaleByLearningRate.lr
  for (let k = 0; k < seg.length; k += 4) {
    const lo = seg[k];
    const hi = seg[k + 1];
    for (let i = lo; i < hi; i++) {
      const mu$0 = mu$0_f32[i];
      const g0 = g_f32[i];
      const nu$0 = nu$0_f32[i];
      const p0 = p_f32[i];
      const t0 = ((s0 * mu$0) + (s1 * g0));
      const t1 = ((s3 * nu$0) + (s4 * (g0 * g0)));
      const u1 = Math.fround(((t0 * s2) / (Math.sqrt(((t1 * s5) + s6)) + s7)));
      const u2 = Math.fround((u1 + (s8 * p0)));
      const u3 = Math.fround((u2 * s9));
      mu$0_f32[i] = t0;
      nu$0_f32[i] = t1;
      out_f32[i] = u3;
    }
  }
}
return pass0Pure;
//# sourceURL=gradfuse-kernel-0518e3baf23648-pass0Pure.js
