/**
 * TensorFlow.js adapter (the `gradfuse/tfjs` entry point): any gradfuse optimizer, on
 * `tf.Variable`s.
 *
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { adamw, warmupCosineDecay } from 'gradfuse';
 * import { tfjsOptimizer } from 'gradfuse/tfjs';
 *
 * const opt = tfjsOptimizer(tf, adamw({ learningRate: warmupCosineDecay({ ... }) }), { w, b });
 * opt.applyGradients({ w: dw, b: db }); // updates w and b
 * ```
 *
 * - **Keyed by name.** The variables are a record, name → `tf.Variable`, and so are the
 *   gradients. The optimizer state is a gradfuse pytree keyed by those names, so the moments of
 *   `w` belong to `w` whatever order the gradients come in. (TensorFlow.js's own optimizers key
 *   their state by position in the list of gradients, so handing them a subset of the variables,
 *   or the same ones in another order, silently gives one variable another's moments.) A
 *   gradient for every variable is required: a missing or unknown name is a
 *   `TreeMismatchError` naming it, thrown before anything changes. To train parts of a model
 *   separately, give each part its own optimizer.
 * - **Same numbers.** The update is gradfuse's own, on the variables' float32 values: the
 *   variables end up bit for bit where `optimizer.update` + `applyUpdates` on the same
 *   `Float32Array`s puts them (gradfuse computes in float64 and rounds once on store, which is
 *   what tfjs stores). `compiled: true` runs the chain through the kernel compiler instead
 *   (the same numbers on the default backend).
 * - **No leaks.** Each step reads the gradients and the variables (`dataSync`), and assigns each
 *   variable one new tensor; nothing else is allocated on the tfjs side, so
 *   `tf.memory().numTensors` stays the same from step to step.
 * - **tfjs is not a dependency.** This module imports tfjs types only; the `tf` module is an
 *   argument (`@tensorflow/tfjs-core`, `@tensorflow/tfjs` or `@tensorflow/tfjs-node`, version 4),
 *   so the core package never loads TensorFlow.js.
 *
 * @module gradfuse/tfjs
 */
import type * as tfc from '@tensorflow/tfjs-core';
// The public API only (one import, so a build can map it to the package itself).
import {
  type Backend,
  type Compiled,
  type GradientTransformation,
  HyperparameterError,
  type Tensor as Leaf,
  TreeMismatchError,
  type UpdateExtras,
  applyUpdates,
  compile,
  tensor,
} from '../index.js';

// ---------------------------------------------------------------------------------------------
// types
// ---------------------------------------------------------------------------------------------

/**
 * The parts of the TensorFlow.js module the adapter calls: pass the module itself
 * (`import * as tf from '@tensorflow/tfjs-core'`).
 * @category Adapters
 */
export type TfModule = Pick<typeof tfc, 'tensor' | 'tidy'>;

/** The variables an optimizer updates: a flat record, name → float32 `tf.Variable`. */
export type TfVariables = Readonly<Record<string, tfc.Variable>>;

/** Gradients, name → `tf.Tensor` of the variable's shape (what `tf.variableGrads(f).grads` gives when the names match). */
export type TfGradients = Readonly<Record<string, tfc.Tensor>>;

/**
 * The params tree the gradfuse optimizer sees: one float32 tensor leaf per variable, under the
 * variable's name.
 */
export type TfParams = Readonly<Record<string, Leaf<Float32Array>>>;

/**
 * Options of {@link tfjsOptimizer}.
 * @category Adapters
 */
export interface TfjsOptimizerOptions {
  /**
   * Run the optimizer through the kernel compiler (one fused, in-place step over flat storage;
   * the transformation must be fusable) instead of its reference `update`. `true` uses
   * `compile`'s default backend (bit-identical to the reference); a backend name picks one
   * (`'wasm'` and `'auto'` compute float32 in f32 lanes: close, not bit-identical).
   * Default `false`.
   */
  readonly compiled?: boolean | 'auto' | Backend;
}

/**
 * A gradfuse optimizer bound to TensorFlow.js variables.
 * @category Adapters
 */
export interface TfjsOptimizer<S> {
  /**
   * One optimizer step: reads the gradients (one per variable, by name, in any order) and the
   * variables' current values, and assigns each variable its updated value. Every check runs
   * before any variable or state changes. `extra` (e.g. `{ value: loss }`) goes to the
   * transformations that read it, such as `reduceOnPlateau` (see `UpdateExtras`).
   */
  applyGradients(grads: TfGradients, extra?: UpdateExtras): void;
  /** The variables, by name. */
  readonly variables: TfVariables;
  /** The variable names, sorted (the order of the state's leaves). */
  readonly names: readonly string[];
  /**
   * The optimizer state, a gradfuse state over {@link TfParams} (slot trees keyed by variable
   * name): save it with `saveState`, load one with {@link TfjsOptimizer.setState}.
   */
  readonly state: S;
  /** Replaces the state (checked against the variables first; nothing changes if it does not fit). */
  setState(state: S): void;
  /**
   * The variables' current values as the params tree the optimizer sees (fresh arrays): what
   * `loadState(snapshot, optimizer, params)` checks a saved state against.
   */
  params(): TfParams;
  /** Whether the compiled path runs, and on which backend (`undefined`: the reference update). */
  readonly backend: Backend | undefined;
}

// ---------------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------------

const OWNER = 'tfjsOptimizer';

/** A variable's name as a tree path: `w`, or `["odd key"]`. */
const pathOf = (name: string): string => (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : `[${JSON.stringify(name)}]`);
const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

function isPlainRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Duck-typed: a tfjs tensor of any tfjs copy has these. */
function isTfTensor(value: unknown): value is tfc.Tensor {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { readonly shape?: unknown; readonly dtype?: unknown; readonly dataSync?: unknown };
  return Array.isArray(v.shape) && typeof v.dtype === 'string' && typeof v.dataSync === 'function';
}

function isTfVariable(value: unknown): value is tfc.Variable {
  return isTfTensor(value) && typeof (value as { readonly assign?: unknown }).assign === 'function';
}

const shapeText = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** A tensor's values as a fresh Float32Array (tfjs may hand out its own storage). */
function readFloat32(t: tfc.Tensor): Float32Array {
  const data = t.dataSync();
  return data instanceof Float32Array ? data.slice() : Float32Array.from(data as ArrayLike<number>);
}

/** Checks the variables and freezes a copy of the record. */
function checkVariables(variables: unknown): TfVariables {
  if (!isPlainRecord(variables)) throw new HyperparameterError(OWNER, 'variables', 'a record of tf.Variables (name -> variable)', variables);
  const names = Object.keys(variables);
  if (names.length === 0) throw new HyperparameterError(OWNER, 'variables', 'at least one variable', 'an empty record');
  const seen = new Map<tfc.Variable, string>();
  const out: Record<string, tfc.Variable> = Object.create(null) as Record<string, tfc.Variable>;
  for (const name of names) {
    const v = variables[name];
    const where = `variables${pathOf(name).startsWith('[') ? '' : '.'}${pathOf(name)}`;
    if (!isTfVariable(v)) throw new HyperparameterError(OWNER, where, 'a tf.Variable', v);
    if (v.isDisposed) throw new HyperparameterError(OWNER, where, 'a variable that is not disposed', 'a disposed variable');
    if (v.dtype !== 'float32') throw new HyperparameterError(OWNER, where, 'a float32 variable', `a ${v.dtype} variable`);
    const other = seen.get(v);
    if (other !== undefined) {
      throw new HyperparameterError(OWNER, where, `a variable not also given as ${JSON.stringify(other)} (it would be updated twice)`, 'the same variable again');
    }
    seen.set(v, name);
    Object.defineProperty(out, name, { value: v, enumerable: true });
  }
  return Object.freeze(out);
}

/** The params tree of the variables' current values (fresh arrays). */
function readParams(variables: TfVariables, names: readonly string[]): TfParams {
  const out: Record<string, Leaf<Float32Array>> = {};
  for (const name of names) {
    const v = variables[name] as tfc.Variable;
    if (v.isDisposed) throw new TreeMismatchError(pathOf(name), 'a live variable', 'a disposed one', `${OWNER}: variables`);
    Object.defineProperty(out, name, { value: tensor(readFloat32(v), v.shape), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Checks the gradients against the variables (names, then shapes and dtypes) and reads them. */
function readGradients(grads: unknown, variables: TfVariables, names: readonly string[]): TfParams {
  const context = `${OWNER}.applyGradients: gradients against variables`;
  if (!isPlainRecord(grads)) throw new TreeMismatchError('', 'a record of tensors, name -> tf.Tensor', Array.isArray(grads) ? 'an array' : typeof grads, context);
  for (const name of Object.keys(grads)) {
    if (!hasOwn(variables, name)) {
      throw new TreeMismatchError(pathOf(name), `only the optimizer's variables (${names.map((n) => JSON.stringify(n)).join(', ')})`, 'a gradient for an unknown variable', context);
    }
  }
  const out: Record<string, Leaf<Float32Array>> = {};
  for (const name of names) {
    const path = pathOf(name);
    if (!hasOwn(grads, name)) {
      throw new TreeMismatchError(
        path,
        'a gradient for every variable of this optimizer (state is keyed by name; to update a subset of variables, give that subset its own optimizer)',
        'none',
        context,
      );
    }
    const g = grads[name];
    const v = variables[name] as tfc.Variable;
    if (!isTfTensor(g)) throw new TreeMismatchError(path, 'a tf.Tensor', typeof g, context);
    if ((g as { readonly isDisposed?: unknown }).isDisposed === true) throw new TreeMismatchError(path, 'a live tensor', 'a disposed tensor', context);
    if (!sameShape(g.shape, v.shape)) throw new TreeMismatchError(path, `shape ${shapeText(v.shape)}`, `shape ${shapeText(g.shape)}`, context);
    if (g.dtype !== 'float32') throw new TreeMismatchError(path, 'dtype float32', `dtype ${g.dtype}`, context);
    Object.defineProperty(out, name, { value: tensor(readFloat32(g), v.shape), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// the adapter
// ---------------------------------------------------------------------------------------------

/**
 * Binds a gradfuse optimizer to TensorFlow.js variables (see the module notes: state keyed by
 * variable name, gradfuse's numbers, no tensor leaks).
 *
 * @param tf - the TensorFlow.js module (`import * as tf from '@tensorflow/tfjs-core'`).
 * @param optimizer - any gradient transformation, e.g.
 *   `chain(clipByGlobalNorm(1), adamw({ learningRate: warmupCosineDecay(...) }))`.
 * @param variables - name → float32 `tf.Variable`; the state starts as `optimizer.init` of
 *   their current values.
 *
 * @example
 * ```ts
 * const w = tf.variable(tf.zeros([3, 2]), true, 'w');
 * const opt = tfjsOptimizer(tf, adamw({ learningRate: 1e-3 }), { w });
 * opt.applyGradients({ w: gradientOfW }); // e.g. tf.variableGrads(loss).grads
 * ```
 * @category Adapters
 */
export function tfjsOptimizer<S>(tf: TfModule, optimizer: GradientTransformation<S>, variables: TfVariables, options: TfjsOptimizerOptions = {}): TfjsOptimizer<S> {
  if (typeof tf !== 'object' || tf === null || typeof tf.tensor !== 'function' || typeof tf.tidy !== 'function') {
    throw new HyperparameterError(OWNER, 'tf', 'the TensorFlow.js module (import * as tf from "@tensorflow/tfjs-core")', tf);
  }
  if (typeof optimizer !== 'object' || optimizer === null || typeof optimizer.init !== 'function' || typeof optimizer.update !== 'function') {
    throw new HyperparameterError(OWNER, 'optimizer', 'a gradient transformation ({ init, update })', optimizer);
  }
  if (!isPlainRecord(options)) throw new HyperparameterError(OWNER, 'options', 'an options object', options);
  for (const key of Object.keys(options)) {
    if (key !== 'compiled') throw new HyperparameterError(OWNER, key, 'one of the options compiled', 'an unknown option');
  }
  const mode = options.compiled ?? false;
  if (mode !== true && mode !== false && mode !== 'auto' && mode !== 'js' && mode !== 'closure' && mode !== 'wasm') {
    throw new HyperparameterError(OWNER, 'compiled', 'a boolean or one of "auto", "js", "closure", "wasm"', mode);
  }
  const vars = checkVariables(variables);
  const names = Object.keys(vars).sort();
  const initial = readParams(vars, names);

  /** Assigns every variable its new value; `values` are fresh arrays the variables may own. */
  const assign = (values: (name: string) => Float32Array): void => {
    tf.tidy(() => {
      for (const name of names) {
        const v = vars[name] as tfc.Variable;
        v.assign(tf.tensor(values(name), v.shape, 'float32'));
      }
    });
  };

  if (mode === false) {
    let state = optimizer.init(initial);
    return {
      applyGradients(grads: TfGradients, extra?: UpdateExtras): void {
        const g = readGradients(grads, vars, names);
        const params = readParams(vars, names);
        const [updates, next] = optimizer.update(g, state, params, extra);
        const updated = applyUpdates(params, updates);
        assign((name) => (updated[name] as Leaf<Float32Array>).data);
        state = next;
      },
      variables: vars,
      names,
      get state(): S {
        return state;
      },
      setState(next: S): void {
        // A dry run on zero gradients checks the state against the variables.
        const params = readParams(vars, names);
        const zeros: Record<string, Leaf<Float32Array>> = {};
        for (const name of names) {
          const leaf = params[name] as Leaf<Float32Array>;
          Object.defineProperty(zeros, name, { value: tensor(new Float32Array(leaf.data.length), leaf.shape), enumerable: true, writable: true, configurable: true });
        }
        // (A loss, for the transformations that read one: the result is dropped.)
        optimizer.update(zeros, next, params, { value: 0 });
        state = next;
      },
      params: () => readParams(vars, names),
      backend: undefined,
    };
  }

  const compiled: Compiled<S, TfParams> = compile(optimizer, initial, mode === true ? {} : { backend: mode });
  return {
    applyGradients(grads: TfGradients, extra?: UpdateExtras): void {
      const g = readGradients(grads, vars, names);
      const current = readParams(vars, names);
      const p = compiled.params;
      const d = compiled.grads;
      for (const name of names) {
        (p[name] as Leaf<Float32Array>).data.set((current[name] as Leaf<Float32Array>).data);
        (d[name] as Leaf<Float32Array>).data.set((g[name] as Leaf<Float32Array>).data);
      }
      compiled.step(extra);
      const after = compiled.params;
      assign((name) => (after[name] as Leaf<Float32Array>).data.slice());
    },
    variables: vars,
    names,
    get state(): S {
      return compiled.copyState();
    },
    setState(next: S): void {
      compiled.setState(next);
    },
    params: () => readParams(vars, names),
    backend: compiled.backend,
  };
}
