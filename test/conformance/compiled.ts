/**
 * The compiled paths (`compile` from `src/compile/index.ts`) as replay drivers: the pure
 * `compiled.update` with each backend, and the in-place `compiled.step()` over flat storage.
 */
import { compile } from '../../src/compile/index.js';
import type { Backend } from '../../src/compile/index.js';
import { type FlatLeaf, type Tree, flatten } from '../../src/tree/tree.js';
import { applyUpdates } from '../../src/update.js';
import type { Path } from './run.js';

/** `compiled.update(grads, state, params)` (fresh outputs), then `applyUpdates`. */
export function compiledPure(backend: Backend): Path {
  return (tx, params0) => {
    const compiled = compile(tx, params0, { backend });
    let params = params0;
    let state: unknown = tx.init(params0);
    return {
      step: (grads) => {
        const [updates, next] = compiled.update(grads, state, params);
        params = applyUpdates(params, updates);
        state = next;
        return params;
      },
    };
  };
}

/** Gradients written into `compiled.grads`, then the in-place `compiled.step()`; params read from `compiled.params`. */
export function compiledInPlace(backend: Backend): Path {
  return (tx, params0) => {
    const compiled = compile(tx, params0, { backend });
    const targets = flatten(compiled.grads).leaves;
    return {
      step: (grads: Tree) => {
        const sources = flatten(grads).leaves;
        if (sources.length !== targets.length) throw new Error(`compiled.grads has ${String(targets.length)} leaves, the step ${String(sources.length)}`);
        sources.forEach((src, i) => {
          const dst = targets[i] as FlatLeaf;
          if (dst.path !== src.path || dst.data.length !== src.data.length) throw new Error(`compiled.grads leaf ${dst.path} does not match ${src.path}`);
          dst.data.set(src.data);
        });
        compiled.step();
        return compiled.params;
      },
    };
  };
}

/** Every compiled path the suite replays, by label. */
export const COMPILED_PATHS: readonly (readonly [string, Path])[] = [
  ['compiled update, js', compiledPure('js')],
  ['compiled update, closure', compiledPure('closure')],
  ['compiled step in place, js', compiledInPlace('js')],
  ['compiled step in place, closure', compiledInPlace('closure')],
];

/**
 * The wasm backend's paths. They are within a stated bound of the reference, not bit for bit
 * (float32 lanes, reordered reductions), so they are replayed against the PyTorch tolerances and
 * against the reference by `test/compile/wasmConformance.test.ts`, not in the bit-for-bit loop
 * above.
 */
export const WASM_PATHS: readonly (readonly [string, Path])[] = [
  ['compiled update, wasm', compiledPure('wasm')],
  ['compiled step in place, wasm', compiledInPlace('wasm')],
];
