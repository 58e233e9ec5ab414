/**
 * The package manifest, checked without building: every subpath export has ESM and CJS entries
 * with their own type declarations, each built from a tsup entry whose source exists, and the
 * tarball is limited to dist/. `npm run pack:check` (scripts/packCheck.mjs) checks the built
 * tarball itself: installed into an empty project, from ESM, CJS and TypeScript.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
interface Conditions {
  readonly types: string;
  readonly default: string;
}
interface Manifest {
  readonly type: string;
  readonly main: string;
  readonly module: string;
  readonly types: string;
  readonly files: readonly string[];
  readonly sideEffects: boolean;
  readonly exports: Readonly<Record<string, string | { readonly import: Conditions; readonly require: Conditions }>>;
  readonly dependencies: Readonly<Record<string, string>>;
  readonly peerDependencies: Readonly<Record<string, string>>;
  readonly peerDependenciesMeta: Readonly<Record<string, { readonly optional?: boolean }>>;
}
const manifest = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as Manifest;

/** The `entry` record of tsup.config.ts: output name (under dist/) -> source file. */
function tsupEntries(): Record<string, string> {
  const config = readFileSync(`${root}tsup.config.ts`, 'utf8');
  const block = /entry:\s*\{([\s\S]*?)\}/.exec(config)?.[1] ?? '';
  return Object.fromEntries([...block.matchAll(/'?([\w/]+)'?\s*:\s*'([^']+)'/g)].map((m) => [m[1] ?? '', m[2] ?? '']));
}

describe('package.json', () => {
  const subpaths = Object.entries(manifest.exports).filter(([k]) => k !== './package.json');

  it('publishes only dist/ (npm adds package.json, README and LICENSE)', () => {
    expect(manifest.files).toEqual(['dist']);
    expect(manifest.sideEffects).toBe(false);
  });

  it('exports ".", "./testing", "./tfjs" and "./package.json"', () => {
    expect(Object.keys(manifest.exports)).toEqual(expect.arrayContaining(['.', './testing', './tfjs', './package.json']));
    expect(manifest.exports['./package.json']).toBe('./package.json');
  });

  it.each(subpaths)('%s has ESM and CJS entries with their own declarations, built by a tsup entry from an existing source', (subpath, value) => {
    expect(typeof value).toBe('object');
    if (typeof value !== 'object') return;
    expect(Object.keys(value)).toEqual(['import', 'require']);
    expect(Object.keys(value.import)).toEqual(['types', 'default']);
    expect(Object.keys(value.require)).toEqual(['types', 'default']);
    const base = /^\.\/dist\/(.+)\.js$/.exec(value.import.default)?.[1];
    expect(base, `${subpath}: import.default must be ./dist/<name>.js`).toBeDefined();
    expect(value.import.types).toBe(`./dist/${base ?? ''}.d.ts`);
    expect(value.require.default).toBe(`./dist/${base ?? ''}.cjs`);
    expect(value.require.types).toBe(`./dist/${base ?? ''}.d.cts`);
    const source = tsupEntries()[base ?? ''];
    expect(source, `tsup.config.ts has no entry '${base ?? ''}'`).toBeDefined();
    expect(existsSync(`${root}${source ?? ''}`)).toBe(true);
  });

  it('has every tsup entry exported', () => {
    const exported = subpaths.map(([, v]) => (typeof v === 'object' ? v.import.default : v));
    expect(Object.keys(tsupEntries()).map((name) => `./dist/${name}.js`).filter((f) => !exported.includes(f))).toEqual([]);
  });

  it('points main, module and types at the "." entry', () => {
    const dot = manifest.exports['.'];
    expect(typeof dot).toBe('object');
    if (typeof dot !== 'object') return;
    expect(manifest.type).toBe('module');
    expect([manifest.main, manifest.module, manifest.types]).toEqual([dot.require.default, dot.import.default, dot.import.types]);
  });

  it('keeps @tensorflow/tfjs-core an optional peer, never a dependency', () => {
    expect(manifest.peerDependencies['@tensorflow/tfjs-core']).toBeDefined();
    expect(manifest.peerDependenciesMeta['@tensorflow/tfjs-core']?.optional).toBe(true);
    expect(Object.keys(manifest.dependencies)).not.toContain('@tensorflow/tfjs-core');
    expect(readFileSync(`${root}tsup.config.ts`, 'utf8')).toMatch(/external:\s*\[[^\]]*'@tensorflow\/tfjs-core'/);
  });
});
