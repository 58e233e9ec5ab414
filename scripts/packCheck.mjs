#!/usr/bin/env node
// Package quality check (`npm run pack:check`): what `npm pack` produces installs into an empty
// project and works from ESM, CommonJS and TypeScript, subpath exports included.
//
//   1. `npm run build` (skip with --no-build), then `npm pack` into a temporary folder;
//   2. the tarball holds only package.json, README, LICENSE and dist/ (no tests, examples, sources);
//   3. an empty project installs the tarball (fp-ts and io-ts come from the registry) with the
//      optional peer @tensorflow/tfjs-core 4.22.0 and @tensorflow/tfjs-backend-cpu 4.22.0;
//   4. it runs an optimizer step, a compiled step, gradfuse/testing and gradfuse/tfjs from an
//      ES module and from a CommonJS module;
//   5. tsc (the repository's TypeScript) type-checks a file importing '.', 'gradfuse/testing' and
//      'gradfuse/tfjs' with `module: nodenext` (ESM and CJS files) and with
//      `moduleResolution: bundler`; an `@ts-expect-error` proves the types are real, not `any`;
//   6. publint and `attw --pack .` pass on the package.
//
// Options: --no-build (use the existing dist/), --keep (leave the temporary folder).
// Not a vitest test: it builds, packs and installs (tens of seconds). Exit code 0 when all pass.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = new Set(process.argv.slice(2));
const require = createRequire(import.meta.url);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const started = performance.now();
const failures = [];

function run(cmd, argv, cwd, quiet = false) {
  const out = execFileSync(cmd, argv, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
  if (!quiet && out.trim() !== '') console.log(out.trimEnd().replace(/^/gm, '    '));
  return out;
}

async function step(name, fn) {
  const t0 = performance.now();
  try {
    await fn();
    console.log(`ok   ${name} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (e) {
    const detail = [e.stdout, e.stderr, e.message].filter((s) => typeof s === 'string' && s.trim() !== '').join('\n');
    console.log(`FAIL ${name}\n${detail.trimEnd().replace(/^/gm, '    ')}`);
    failures.push(name);
  }
}

const tmp = mkdtempSync(join(tmpdir(), 'gradfuse-pack-'));
const app = join(tmp, 'app');
let tarball = '';

if (!args.has('--no-build')) await step('build (npm run build)', () => run(npm, ['run', 'build'], root, true));

await step('npm pack', () => {
  const [info] = JSON.parse(run(npm, ['pack', '--json', '--pack-destination', tmp], root, true));
  tarball = join(tmp, info.filename);
  const files = info.files.map((f) => f.path).sort();
  const allowed = (p) => p === 'package.json' || /^(README|LICENSE|LICENCE|NOTICE)(\.md|\.txt)?$/i.test(p) || p.startsWith('dist/');
  const unexpected = files.filter((p) => !allowed(p) || /(^|\/)(test|tests|examples?|__snapshots__|src)\//.test(p) || /\.test\.|\.spec\./.test(p));
  if (unexpected.length > 0) throw new Error(`unexpected files in the tarball:\n${unexpected.join('\n')}`);
  for (const needed of ['package.json', 'README.md', 'dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts']) {
    if (!files.includes(needed)) throw new Error(`the tarball lacks ${needed}`);
  }
  for (const sub of ['testing', 'tfjs']) {
    for (const ext of ['js', 'cjs', 'd.ts', 'd.cts']) if (!files.includes(`dist/${sub}/index.${ext}`)) throw new Error(`the tarball lacks dist/${sub}/index.${ext}`);
  }
  if (!files.some((p) => /^LICEN[CS]E/i.test(p))) console.log('    warning: no LICENSE file in the tarball (package.json says Apache-2.0)');
  console.log(`    ${info.filename}: ${String(files.length)} files, ${(info.size / 1024).toFixed(0)} KiB packed, ${(info.unpackedSize / 1024).toFixed(0)} KiB unpacked`);
});

await step('install the tarball into an empty project', () => {
  if (tarball === '') throw new Error('no tarball');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), `${JSON.stringify({ name: 'gradfuse-pack-check', private: true, type: 'module' }, null, 2)}\n`);
  run(npm, ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--prefer-offline', tarball, '@tensorflow/tfjs-core@4.22.0', '@tensorflow/tfjs-backend-cpu@4.22.0'], app, true);
  const installed = JSON.parse(readFileSync(join(app, 'node_modules/gradfuse/package.json'), 'utf8'));
  console.log(`    gradfuse ${installed.version} with ${Object.keys(installed.dependencies ?? {}).join(', ')}`);
});

const esm = `import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { HyperparameterError, adamw, applyUpdates, chain, clipByGlobalNorm, compile, toSpec, fromSpec } from 'gradfuse';
import { formatFloatArray } from 'gradfuse/testing';
import { tfjsOptimizer } from 'gradfuse/tfjs';

const check = (ok, what) => { if (!ok) throw new Error('ESM: ' + what); };
tf.env().set('IS_TEST', true);
const opt = chain(clipByGlobalNorm(1), adamw({ learningRate: 0.1 }));
const params = { w: Float32Array.from([1, -2, 3]) };
const [updates] = opt.update({ w: Float32Array.from([0.5, 0.5, 0.5]) }, opt.init(params), params);
const next = applyUpdates(params, updates);
check(next.w instanceof Float32Array && next.w[0] < 1, 'update');
const compiled = compile(opt, params, { backend: 'auto' });
compiled.grads.w.fill(0.5);
compiled.step();
check(compiled.params.w.every((x, i) => Math.abs(x - next.w[i]) < 1e-6), 'compiled step (' + compiled.backend + ')');
check(JSON.stringify(toSpec(fromSpec(toSpec(opt)))) === JSON.stringify(toSpec(opt)), 'spec round trip');
try { adamw({ learningRate: -1 }); check(false, 'no error'); } catch (e) { check(e instanceof HyperparameterError, 'typed error'); }
check(formatFloatArray(Float32Array.of(0.1)) === 'Float32Array(1) [0.1]', 'gradfuse/testing');
const v = tf.variable(tf.tensor1d([1, 2, 3]));
tfjsOptimizer(tf, adamw({ learningRate: 0.1 }), { v }).applyGradients({ v: tf.tensor1d([1, 1, 1]) });
check(v.dataSync()[0] < 1, 'gradfuse/tfjs');
console.log('ESM: gradfuse, gradfuse/testing, gradfuse/tfjs ok; compiled backend ' + compiled.backend);
`;

const cjs = `const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const { HyperparameterError, adamw, applyUpdates, chain, clipByGlobalNorm, compile } = require('gradfuse');
const { formatFloatArray } = require('gradfuse/testing');
const { tfjsOptimizer } = require('gradfuse/tfjs');
const { version } = require('gradfuse/package.json');

const check = (ok, what) => { if (!ok) throw new Error('CJS: ' + what); };
tf.env().set('IS_TEST', true);
const opt = chain(clipByGlobalNorm(1), adamw({ learningRate: 0.1 }));
const params = { w: Float64Array.from([1, -2, 3]) };
const [updates] = opt.update({ w: Float64Array.from([0.5, 0.5, 0.5]) }, opt.init(params), params);
check(applyUpdates(params, updates).w[0] < 1, 'update');
const compiled = compile(opt, params);
compiled.grads.w.fill(0.5);
compiled.step();
check(compiled.params.w[0] < 1, 'compiled step');
try { adamw({ learningRate: -1 }); check(false, 'no error'); } catch (e) { check(e instanceof HyperparameterError, 'typed error'); }
check(formatFloatArray(Float32Array.of(0.1)) === 'Float32Array(1) [0.1]', 'gradfuse/testing');
const v = tf.variable(tf.tensor1d([1, 2, 3]));
tfjsOptimizer(tf, adamw({ learningRate: 0.1 }), { v }).applyGradients({ v: tf.tensor1d([1, 1, 1]) });
check(v.dataSync()[0] < 1, 'gradfuse/tfjs');
console.log('CJS: gradfuse ' + version + ', gradfuse/testing, gradfuse/tfjs ok');
`;

// Type-checked only. The @ts-expect-error lines fail the check when a type resolves to `any`.
const typed = (kind) => `import * as tf from '@tensorflow/tfjs-core';
import { adamw, chain, clipByGlobalNorm, compile, type GradientTransformation, type Schedule, warmupCosineDecay } from 'gradfuse';
import { formatFloatArray } from 'gradfuse/testing';
import { tfjsOptimizer, type TfjsOptimizer } from 'gradfuse/tfjs';

const schedule: Schedule = warmupCosineDecay({ initValue: 0, peakValue: 1e-3, warmupSteps: 10, decaySteps: 100 });
const optimizer = chain(clipByGlobalNorm(1), adamw({ learningRate: schedule }));
const asGeneric: GradientTransformation<unknown> = optimizer;
const compiled = compile(optimizer, { w: new Float32Array(3) });
const w: Float32Array = compiled.params.w;
const text: string = formatFloatArray(w);
const tfOptimizer: TfjsOptimizer<unknown> = tfjsOptimizer(tf, adamw({ learningRate: 1e-3 }), { v: tf.variable(tf.zeros([3])) });
// @ts-expect-error -- learningRate must be a number or a schedule
adamw({ learningRate: '1e-3' });
// @ts-expect-error -- formatFloatArray takes a typed array
formatFloatArray('0.1');
// @ts-expect-error -- the params have no key 'b'
compiled.params.b;
export const used = [asGeneric, text, tfOptimizer, '${kind}'];
`;

const tsconfig = (compilerOptions, include) => `${JSON.stringify({ compilerOptions: { strict: true, noEmit: true, skipLibCheck: true, target: 'ES2022', lib: ['ES2022'], types: [], ...compilerOptions }, include }, null, 2)}\n`;

await step('run from ESM (import)', () => {
  writeFileSync(join(app, 'esm.mjs'), esm);
  run(process.execPath, ['esm.mjs'], app);
});

await step('run from CommonJS (require)', () => {
  writeFileSync(join(app, 'cjs.cjs'), cjs);
  run(process.execPath, ['cjs.cjs'], app);
});

const tsc = require.resolve('typescript/lib/tsc.js', { paths: [root] });
const tsVersion = JSON.parse(readFileSync(require.resolve('typescript/package.json', { paths: [root] }), 'utf8')).version;

await step(`TypeScript ${tsVersion}, module nodenext (ESM .ts and CJS .cts)`, () => {
  writeFileSync(join(app, 'types-esm.ts'), typed('nodenext esm'));
  writeFileSync(join(app, 'types-cjs.cts'), typed('nodenext cjs'));
  writeFileSync(join(app, 'tsconfig.nodenext.json'), tsconfig({ module: 'nodenext', moduleResolution: 'nodenext' }, ['types-esm.ts', 'types-cjs.cts']));
  run(process.execPath, [tsc, '-p', 'tsconfig.nodenext.json'], app);
});

await step(`TypeScript ${tsVersion}, moduleResolution bundler`, () => {
  writeFileSync(join(app, 'types-bundler.ts'), typed('bundler'));
  writeFileSync(join(app, 'tsconfig.bundler.json'), tsconfig({ module: 'esnext', moduleResolution: 'bundler' }, ['types-bundler.ts']));
  run(process.execPath, [tsc, '-p', 'tsconfig.bundler.json'], app);
});

await step('publint', () => run(npx, ['--no-install', 'publint'], root));
await step('attw --pack .', () => run(npx, ['--no-install', 'attw', '--pack', '.', '--format', 'table-flipped', '--no-emoji', '--no-color'], root));

if (args.has('--keep')) console.log(`kept ${tmp}`);
else rmSync(tmp, { recursive: true, force: true });

const seconds = ((performance.now() - started) / 1000).toFixed(1);
if (failures.length > 0) {
  console.log(`pack check: ${String(failures.length)} failed (${failures.join('; ')}) in ${seconds} s`);
  process.exit(1);
}
console.log(`pack check: all passed in ${seconds} s`);
