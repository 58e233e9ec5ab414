'use strict';
// gradfuse kernel 11112d2b1e31ce, pass0 (pass 1 of 1): stores: slots and params in place
// stages: identity > trace > scaleByLearningRate
function pass0(seg, s, red, ls, lred, b) {
  const g_f32 = b[0];
  const trace$1_f32 = b[1];
  const p_f32 = b[2];
  const s0 = s[0]; // trace.decay
  const s1 = s[1]; // trace.gain
  const s2 = s[2]; // scaleByLearningRate.lr
  for (let k = 0; k < seg.length; k += 4) {
    const lo = seg[k];
    const hi = seg[k + 1];
    for (let i = lo; i < hi; i++) {
      const trace$1 = trace$1_f32[i];
      const g0 = g_f32[i];
      const p0 = p_f32[i];
      const t0 = ((s0 * trace$1) + (s1 * g0));
      const u2 = Math.fround(t0);
      const u3 = Math.fround((u2 * s2));
      trace$1_f32[i] = t0;
      p_f32[i] = (p0 + u3);
    }
  }
}
return pass0;
//# sourceURL=gradfuse-kernel-11112d2b1e31ce-pass0.js

'use strict';
// gradfuse kernel 11112d2b1e31ce, pass0Pure (pass 1 of 1): stores: slots and the outgoing updates (pure update)
// stages: identity > trace > scaleByLearningRate
function pass0Pure(seg, s, red, ls, lred, b) {
  const g_f32 = b[0];
  const trace$1_f32 = b[1];
  const out_f32 = b[2];
  const s0 = s[0]; // trace.decay
  const s1 = s[1]; // trace.gain
  const s2 = s[2]; // scaleByLearningRate.lr
  for (let k = 0; k < seg.length; k += 4) {
    const lo = seg[k];
    const hi = seg[k + 1];
    for (let i = lo; i < hi; i++) {
      const trace$1 = trace$1_f32[i];
      const g0 = g_f32[i];
      const t0 = ((s0 * trace$1) + (s1 * g0));
      const u2 = Math.fround(t0);
      const u3 = Math.fround((u2 * s2));
      trace$1_f32[i] = t0;
      out_f32[i] = u3;
    }
  }
}
return pass0Pure;
//# sourceURL=gradfuse-kernel-11112d2b1e31ce-pass0Pure.js
