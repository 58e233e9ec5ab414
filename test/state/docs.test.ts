/**
 * docs/state.md's JSON example is what saveState writes for the state it describes, and its
 * numbers about the binary form are right.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { chain } from '../../src/combine/chain.js';
import { saveStateBinary } from '../../src/state/binary.js';
import { loadState, saveState } from '../../src/state/snapshot.js';
import { trace } from '../../src/transforms/momentum.js';
import { scaleByLearningRate } from '../../src/transforms/scale.js';
import { firstDifference } from './helpers.js';

const doc = readFileSync(fileURLToPath(new URL('../../docs/state.md', import.meta.url)), 'utf8');

describe('docs/state.md', () => {
  const optimizer = chain(trace({ decay: 0.9 }), scaleByLearningRate(0.1));
  const params = { w: Float32Array.of(0.5, -1), b: { shape: [1, 1], data: Float64Array.of(2) } };
  const [, state] = optimizer.update({ w: Float32Array.of(0.1, NaN), b: { shape: [1, 1], data: Float64Array.of(Infinity) } }, optimizer.init(params), params);

  it('the JSON example is the snapshot of the state it describes, and loads', () => {
    const block = /<!-- snapshot example: [^\n]*-->\n```json\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(block).toBeDefined();
    const shown = JSON.parse(block ?? '') as unknown;
    expect(shown).toEqual(JSON.parse(JSON.stringify(saveState(state, optimizer))));
    expect(firstDifference(loadState(shown, optimizer, params), state)).toBeUndefined();
  });

  it('the binary sizes it gives', () => {
    const bytes = saveStateBinary(state, optimizer);
    const headerLength = new DataView(bytes.buffer).getUint32(8, true);
    expect(doc).toContain(`is ${String(bytes.length)} bytes: a ${String(headerLength)}-byte JSON header`);
  });
});
