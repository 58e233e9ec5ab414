import { defineConfig } from 'tsup';
import type { Plugin } from 'esbuild';

/**
 * `gradfuse/tfjs` imports the public API through `../index.js`; in the build that import is the
 * package itself, so the adapter shares the main entry's classes (`instanceof` on errors holds)
 * instead of carrying its own copy of the library.
 */
const adapterImportsThePackage: Plugin = {
  name: 'adapter-imports-the-package',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/index\.js$/ }, (args) =>
      /[\\/]src[\\/]adapters[\\/]/.test(args.importer) ? { path: 'gradfuse', external: true } : undefined,
    );
  },
};

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'testing/index': 'src/testing/index.ts',
    'tfjs/index': 'src/adapters/tfjs.ts',
  },
  format: ['esm', 'cjs'],
  dts: { compilerOptions: { ignoreDeprecations: '6.0' } },
  sourcemap: true,
  clean: true,
  outDir: 'dist',
  target: 'node20',
  external: ['@tensorflow/tfjs-core'],
  esbuildPlugins: [adapterImportsThePackage],
});
