/**
 * End to end: the page in web/ is built with Vite's JS API, served by a small static server that
 * sets a Content-Security-Policy per request, and driven in Debian's headless Chromium through
 * playwright-core. The page's paths (every step, float32 values) must be the numbers this process
 * computes with the same code (web/train.ts) on the same backend:
 *
 * - without a CSP, the wasm and js backends run in the browser, and give Node's wasm and js
 *   numbers respectively (which differ from each other: float32 lanes against float64 JS);
 * - under `script-src 'self' 'wasm-unsafe-eval'` (no 'unsafe-eval'), the js backend cannot run,
 *   and the closure backend takes over with the js numbers, while wasm still runs;
 * - under `script-src 'self'`, neither wasm nor `new Function` runs: 'auto' chooses closure, with
 *   the js numbers.
 *
 * Skipped, with a message, only when /usr/bin/chromium is absent (CI installs it:
 * `command -v chromium || (apt-get update && apt-get install -y chromium)`).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BackendChoice, type PageState, type Settings, defaultSettings, runAll } from '../../web/train.js';

const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const root = fileURLToPath(new URL('../..', import.meta.url));

/** The policies the server can send, chosen by the first path segment: `/<policy>/index.html`. */
const POLICIES = {
  open: undefined,
  'no-eval': "script-src 'self' 'wasm-unsafe-eval'",
  strict: "script-src 'self'",
} as const;
type Policy = keyof typeof POLICIES;

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.wasm': 'application/wasm',
};

/** A static server for `dir`; every response under `/<policy>/` carries that policy's CSP header. */
function serve(dir: string): Promise<Server> {
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const [, policy, ...rest] = url.pathname.split('/');
      if (policy === undefined || !Object.hasOwn(POLICIES, policy)) {
        res.writeHead(404).end();
        return;
      }
      const file = normalize(join(dir, ...(rest.length === 0 || rest.join('/') === '' ? ['index.html'] : rest)));
      if (!file.startsWith(dir + sep)) {
        res.writeHead(403).end();
        return;
      }
      try {
        const body = await readFile(file);
        const csp = POLICIES[policy as Policy];
        res.writeHead(200, {
          'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
          'Cache-Control': 'no-store',
          ...(csp === undefined ? {} : { 'Content-Security-Policy': csp }),
        });
        res.end(body);
      } catch {
        res.writeHead(404).end();
      }
    })();
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** The query the page reads its settings from. */
function query(s: Settings): string {
  return new URLSearchParams({ surface: s.surface, lr: String(s.lrScale), momentum: String(s.momentum), steps: String(s.steps), backend: s.backend }).toString();
}

/** Node's paths for these settings (all steps, as plain numbers). */
function nodePaths(s: Settings): number[][] {
  return runAll(s).map((r) => Array.from(r.path));
}

if (!HAVE_CHROMIUM) {
  const why = `test/browser skipped: ${CHROMIUM} is absent; install Debian's chromium (apt-get install -y chromium) to run the browser test`;
  console.warn(why);
  describe('the browser page (headless Chromium)', () => {
    it.skip(why, () => {});
  });
} else {
  describe('the browser page (headless Chromium)', () => {
    let dir = '';
    let server: Server | undefined;
    let browser: Browser | undefined;
    let base = '';
    const pageErrors: string[] = [];

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'gradfuse-web-'));
      const { build } = await import('vite');
      await build({
        configFile: join(root, 'web', 'vite.config.ts'),
        mode: 'production',
        logLevel: 'warn',
        build: { outDir: dir, emptyOutDir: true },
      });
      server = await serve(dir);
      base = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
      const { chromium } = await import('playwright-core');
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
      if (dir !== '') await rm(dir, { recursive: true, force: true });
    });

    /** Opens the page under a policy and waits for its first run. */
    async function open(policy: Policy, s: Settings): Promise<{ readonly page: Page; readonly state: PageState }> {
      // reduced motion: the page draws the final paths at once instead of animating them
      const page = await (browser as Browser).newPage({ reducedMotion: 'reduce' });
      page.on('pageerror', (e) => pageErrors.push(`${policy}: ${e.message}`));
      await page.goto(`${base}/${policy}/index.html?${query(s)}`);
      return { page, state: await waitForRun(page, 1) };
    }

    /** Waits until the page has finished run number `run` and returns what it exposed. */
    async function waitForRun(page: Page, run: number): Promise<PageState> {
      await page.waitForFunction(
        (n) => {
          const st = (globalThis as { __gradfuse?: { status: string; run: number } }).__gradfuse;
          return st !== undefined && st.run >= n && st.status !== 'running';
        },
        run,
        { timeout: 10_000 },
      );
      const state = await page.evaluate(() => (globalThis as unknown as { __gradfuse: PageState }).__gradfuse);
      expect(state.error).toBeNull();
      expect(state.status).toBe('done');
      return state;
    }

    /** The page's paths against Node's, and the backend that ran for every optimizer. */
    function expectRuns(state: PageState, backend: string, expected: readonly number[][]): void {
      expect(state.runs.map((r) => r.backend)).toEqual(state.runs.map(() => backend));
      expect(state.runs.map((r) => r.path)).toEqual(expected);
    }

    const rosenbrock: Settings = { ...defaultSettings('rosenbrock'), steps: 300 };
    const beale: Settings = { ...defaultSettings('beale'), steps: 200, lrScale: 0.5, momentum: 0.8 };
    const at = (s: Settings, backend: BackendChoice): Settings => ({ ...s, backend });

    it('without a CSP, runs the wasm and the js backend with the numbers Node computes', async () => {
      const wasm = nodePaths(at(rosenbrock, 'wasm'));
      const js = nodePaths(at(rosenbrock, 'js'));
      // the two backends really differ here (float32 lanes against float64 arithmetic)
      expect(wasm).not.toEqual(js);

      const { page, state } = await open('open', at(rosenbrock, 'wasm'));
      expect(state.environment).toEqual({ canEvaluate: true, wasmSimd: true });
      expectRuns(state, 'wasm', wasm);
      expect(state.runs.every((r) => r.fallback === null)).toBe(true);
      expect(state.runs.map((r) => r.optimizer)).toEqual(['sgd', 'momentum', 'adam', 'adamw', 'lion']);
      await expect(page.locator('#backend-readout').getAttribute('data-backend')).resolves.toBe('wasm');

      // the backend selector: switch to js in the page itself
      await page.selectOption('#backend', 'js');
      expectRuns(await waitForRun(page, 2), 'js', js);
      await expect(page.locator('#backend-readout').getAttribute('data-backend')).resolves.toBe('js');
      await expect(page.locator('#backend-readout').textContent()).resolves.toContain('ran: js');

      // the surface selector and the sliders
      await page.selectOption('#surface', 'beale');
      const third = await waitForRun(page, 3);
      expect(third.settings).toEqual(at(defaultSettings('beale'), 'js'));
      expectRuns(third, 'js', nodePaths(third.settings));
      await page.locator('#momentum').fill('0.5');
      await page.locator('#lr').fill('0.3'); // 10^0.3: the page rounds to 2.00×
      const fifth = await waitForRun(page, 5);
      expect(fifth.settings).toEqual({ ...at(defaultSettings('beale'), 'js'), momentum: 0.5, lrScale: 2 });
      expectRuns(fifth, 'js', nodePaths(fifth.settings));

      // 'auto' takes wasm where it runs; settings from the address
      await page.goto(`${base}/open/index.html?${query(at(beale, 'auto'))}`);
      expectRuns(await waitForRun(page, 1), 'wasm', nodePaths(at(beale, 'wasm')));
      await page.close();
    });

    it("under script-src 'self' 'wasm-unsafe-eval', closure takes over from js with the same numbers; wasm still runs", async () => {
      const { page, state } = await open('no-eval', at(rosenbrock, 'js'));
      expect(state.environment).toEqual({ canEvaluate: false, wasmSimd: true });
      expectRuns(state, 'closure', nodePaths(at(rosenbrock, 'js')));
      expect(state.runs.every((r) => r.fallback?.includes('new Function') === true)).toBe(true);
      await expect(page.locator('#fallback').textContent()).resolves.toContain('closure');

      await page.goto(`${base}/no-eval/index.html?${query(at(beale, 'auto'))}`);
      expectRuns(await waitForRun(page, 1), 'wasm', nodePaths(at(beale, 'wasm')));
      await page.goto(`${base}/no-eval/index.html?${query(at(beale, 'js'))}`);
      expectRuns(await waitForRun(page, 1), 'closure', nodePaths(at(beale, 'js')));
      await page.close();
    });

    it("under script-src 'self', 'auto' chooses closure by itself, with the js numbers", async () => {
      const { page, state } = await open('strict', at(rosenbrock, 'auto'));
      expect(state.environment).toEqual({ canEvaluate: false, wasmSimd: false });
      expectRuns(state, 'closure', nodePaths(at(rosenbrock, 'js')));
      expect(state.runs.every((r) => r.fallback === null)).toBe(true);

      // asking for wasm there: compile refuses it, and the page falls back to the default (closure)
      await page.goto(`${base}/strict/index.html?${query(at(beale, 'wasm'))}`);
      const wasmAsked = await waitForRun(page, 1);
      expectRuns(wasmAsked, 'closure', nodePaths(at(beale, 'js')));
      expect(wasmAsked.runs.every((r) => r.fallback?.includes('WebAssembly') === true)).toBe(true);
      await page.close();
    });

    it('raised no uncaught error in any page', () => {
      expect(pageErrors).toEqual([]);
    });
  });
}
