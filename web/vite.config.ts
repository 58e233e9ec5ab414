/**
 * Vite config of the browser page (`npm run web` serves it, `npm run web:build` builds it into
 * web/dist). The page imports the library from its TypeScript source ('../src/index.js'), which
 * Vite bundles.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // relative asset URLs: the built page works from any folder of a static server
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
  },
});
