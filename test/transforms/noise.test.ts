/**
 * The counter-based generator (Random123's known answers, split-independence, moments) and
 * addNoise: σ_t = √(η / t^γ), determinism by seed, bit-identical resume after save/load,
 * purity, dtypes, validation.
 */
import { describe, expect, it } from 'vitest';
import { HyperparameterError, StateMismatchError } from '../../src/errors.js';
import { fillNormal, threefry2x32 } from '../../src/random.js';
import { loadState, saveState } from '../../src/state/snapshot.js';
import { type AddNoiseOptions, addNoise } from '../../src/transforms/noise.js';
import { tensor } from '../../src/tree/leaf.js';
import { cloneTree } from '../../src/tree/tree.js';

describe('threefry2x32 / fillNormal', () => {
  it("matches Random123's known-answer vectors for Threefry-2x32-20", () => {
    expect(threefry2x32(0, 0, 0, 0)).toEqual([0x6b200159, 0x99ba4efe]);
    expect(threefry2x32(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff)).toEqual([0x1cb996fc, 0xbb002be7]);
    expect(threefry2x32(0x13198a2e, 0x03707344, 0x243f6a88, 0x85a308d3)).toEqual([0xc4923a9c, 0x483df7a0]);
  });

  it('gives each element the same value however the draws are split', () => {
    const whole = new Float64Array(11);
    fillNormal(whole, 7, 3);
    const parts = [new Float64Array(3), new Float64Array(5), new Float64Array(3)];
    let offset = 0;
    for (const part of parts) {
      fillNormal(part, 7, 3, offset);
      offset += part.length;
    }
    expect(Array.from(parts.flatMap((p) => Array.from(p)))).toEqual(Array.from(whole));
  });

  it('draws standard normals (mean, variance, tails of 40 000 draws) that depend on seed and stream', () => {
    const n = 40000;
    const a = new Float64Array(n);
    fillNormal(a, 123, 0);
    const mean = a.reduce((s, x) => s + x, 0) / n;
    const variance = a.reduce((s, x) => s + (x - mean) ** 2, 0) / n;
    const beyond2 = a.filter((x) => Math.abs(x) > 2).length / n;
    expect(Math.abs(mean)).toBeLessThan(0.02); // 4 standard errors
    expect(Math.abs(variance - 1)).toBeLessThan(0.03);
    expect(Math.abs(beyond2 - 0.0455)).toBeLessThan(0.005);
    const otherSeed = new Float64Array(8);
    const otherStream = new Float64Array(8);
    fillNormal(otherSeed, 124, 0);
    fillNormal(otherStream, 123, 1);
    expect(Array.from(otherSeed)).not.toEqual(Array.from(a.slice(0, 8)));
    expect(Array.from(otherStream)).not.toEqual(Array.from(a.slice(0, 8)));
  });
});

describe('addNoise', () => {
  it('adds σ_t·n with σ_t = √(η / t^γ), the draws of stream count over the flattened updates', () => {
    const [eta, gamma] = [0.3, 0.55];
    const tx = addNoise({ eta, gamma, seed: 9 });
    const g = { a: Float64Array.from([1, -2, 3]), b: Float64Array.from([0.5, 4]) };
    let state = tx.init(g);
    for (let count = 0; count < 3; count++) {
      const [u, next] = tx.update(g, state);
      const n = new Float64Array(5);
      fillNormal(n, 9, count);
      const sigma = Math.sqrt(eta / (count + 1) ** gamma);
      expect(Array.from(u.a)).toEqual([1, -2, 3].map((x, i) => x + sigma * (n[i] as number)));
      expect(Array.from(u.b)).toEqual([0.5, 4].map((x, i) => x + sigma * (n[i + 3] as number)));
      expect(next).toEqual({ count: count + 1, rngKey: 9 });
      state = next;
    }
  });

  it('has the annealed standard deviation on a large leaf (η = 2, γ = 1: σ² = 2/t)', () => {
    const tx = addNoise({ eta: 2, gamma: 1, seed: 1 });
    const g = { w: new Float64Array(20000) };
    let state = tx.init(g);
    for (let t = 1; t <= 4; t++) {
      const [u, next] = tx.update(g, state);
      const variance = u.w.reduce((s, x) => s + x * x, 0) / u.w.length;
      expect(Math.abs(variance / (2 / t) - 1), `step ${String(t)}`).toBeLessThan(0.04);
      state = next;
    }
  });

  it('passes updates through unchanged with η = 0', () => {
    const tx = addNoise({ eta: 0, gamma: 0.55 });
    const g = { w: Float32Array.from([1.5, -2, 0]) };
    expect(tx.update(g, tx.init(g))[0]).toEqual(g);
  });

  it('gives the same trajectory for the same seed and a different one for another seed', () => {
    const run = (seed: number): number[][] => {
      const tx = addNoise({ eta: 0.1, gamma: 0.55, seed });
      const g = { w: Float32Array.from([1, 2, 3, 4]) };
      let state = tx.init(g);
      const out: number[][] = [];
      for (let i = 0; i < 4; i++) {
        const [u, next] = tx.update(g, state);
        out.push(Array.from(u.w));
        state = next;
      }
      return out;
    };
    expect(run(5)).toEqual(run(5));
    expect(run(5)).not.toEqual(run(6));
    const r = run(5);
    expect(r[0]).not.toEqual(r[1]); // a new stream each step
  });

  it('resumes bit for bit from a saved and loaded state', () => {
    const tx = addNoise({ eta: 0.2, gamma: 0.5, seed: 2 ** 40 + 3 });
    const g = { w: tensor(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]) };
    let state = tx.init(g);
    for (let i = 0; i < 3; i++) state = tx.update(g, state)[1];
    const restored = loadState(JSON.parse(JSON.stringify(saveState(state, tx))), tx, g);
    expect(restored).toEqual(state);
    let a = state;
    let b = restored;
    for (let i = 0; i < 3; i++) {
      const [ua, na] = tx.update(g, a);
      const [ub, nb] = tx.update(g, b);
      expect(ub).toEqual(ua);
      a = na;
      b = nb;
    }
  });

  it('is pure and keeps dtypes and forms', () => {
    const tx = addNoise({ eta: 1, gamma: 0 });
    const g = { a: Float32Array.from([1, 2]), b: tensor(Float64Array.from([1, 2, 3, 4]), [2, 2]) };
    const copy = cloneTree(g);
    const state = tx.init(g);
    const [u, next] = tx.update(g, state);
    expect(g).toEqual(copy);
    expect(state).toEqual({ count: 0, rngKey: 0 });
    expect(next.count).toBe(1);
    expect(u.a).toBeInstanceOf(Float32Array);
    expect(u.b.data).toBeInstanceOf(Float64Array);
    expect(u.b.shape).toEqual([2, 2]);
    expect(Array.from(u.a)).not.toEqual([1, 2]);
  });

  it('rejects bad options and states, naming them; records its spec', () => {
    const cases: readonly [AddNoiseOptions, string][] = [
      [{ eta: -1, gamma: 0.5 }, 'eta'],
      [{ eta: 0.1, gamma: Number.NaN }, 'gamma'],
      [{ eta: 0.1, gamma: 0.5, seed: 1.5 }, 'seed'],
      [{ eta: 0.1, gamma: 0.5, seed: -1 }, 'seed'],
      [{ eta: 0.1, gamma: 0.5, key: 1 } as unknown as AddNoiseOptions, 'key'],
    ];
    for (const [options, parameter] of cases) {
      expect(() => addNoise(options)).toThrow(HyperparameterError);
      expect(() => addNoise(options)).toThrow(new RegExp(`^addNoise: ${parameter} must be`));
    }
    const tx = addNoise({ eta: 0.1, gamma: 0.5, seed: 3 });
    expect(tx.spec).toEqual({ op: 'addNoise', eta: 0.1, gamma: 0.5, seed: 3 });
    expect(() => tx.update({ w: Float64Array.of(1) }, { count: 0, rngKey: -2 })).toThrow(StateMismatchError);
    expect(() => tx.update({ w: Float64Array.of(1) }, { count: 0.5, rngKey: 1 })).toThrow(StateMismatchError);
  });
});
