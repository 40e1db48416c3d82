// The HTML extraction report, opened in headless Chromium (Debian's `chromium`, installed by .ci/run when absent):
// the page loads with no console error, no uncaught exception, no request outside the file itself, and shows the
// per-layer table, the phase chart and (2-D input, truth given) the region map, whose screenshot is checked for its
// size and for not being blank. Chromium is driven through the
// DevTools protocol over --remote-debugging-pipe (fd 3/4, NUL-separated JSON): no WebSocket, no extra package.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { extractNetwork, type ExtractResult } from '../src/extract/driver.js';
import { writeNetworkJson } from '../src/network/format.js';
import { randomNetwork } from '../src/network/init.js';
import { CountingOracle } from '../src/oracle/counting.js';
import { LocalOracle } from '../src/oracle/local.js';
import { renderReport, writeReport } from '../src/report/html-report.js';
import { decodePng, pixelStats } from '../src/report/png.js';

const CHROMIUM = process.env.CHROMIUM ?? 'chromium';

interface CdpMessage {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
}

/** A minimal DevTools-protocol client over Chromium's --remote-debugging-pipe. */
class Browser {
  private nextId = 1;
  private pending = new Map<number, { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  private listeners: ((m: CdpMessage) => void)[] = [];
  private buffer = '';
  private readonly proc: ChildProcess;
  private readonly userDir: string;
  private exited: Promise<void>;

  constructor() {
    this.userDir = mkdtempSync(join(tmpdir(), 'relurev-chromium-'));
    this.proc = spawn(
      CHROMIUM,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-extensions',
        '--no-first-run',
        '--no-default-browser-check',
        `--user-data-dir=${this.userDir}`,
        '--remote-debugging-pipe',
        'about:blank',
      ],
      { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] },
    );
    this.proc.stderr!.resume();
    const input = this.proc.stdio[4] as Readable;
    input.setEncoding('utf8');
    input.on('data', (chunk: string) => {
      this.buffer += chunk;
      let end: number;
      while ((end = this.buffer.indexOf('\0')) >= 0) {
        const msg = JSON.parse(this.buffer.slice(0, end)) as CdpMessage;
        this.buffer = this.buffer.slice(end + 1);
        this.dispatch(msg);
      }
    });
    this.exited = new Promise((resolve) => this.proc.once('exit', () => resolve()));
    this.proc.once('error', (e) => this.failAll(e));
    this.proc.once('exit', (code) => this.failAll(new Error(`chromium exited (code ${code})`)));
  }

  private dispatch(msg: CdpMessage): void {
    if (msg.id !== undefined) {
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (msg.error) p?.reject(new Error(msg.error.message));
      else p?.resolve(msg.result ?? {});
      return;
    }
    for (const l of this.listeners) l(msg);
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    const out = this.proc.stdio[3] as Writable;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      out.write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0');
    });
  }

  on(listener: (m: CdpMessage) => void): () => void {
    this.listeners.push(listener);
    return () => (this.listeners = this.listeners.filter((l) => l !== listener));
  }

  async close(): Promise<void> {
    try {
      await Promise.race([this.send('Browser.close'), new Promise((r) => setTimeout(r, 3000))]);
    } catch {
      // already gone
    }
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
    rmSync(this.userDir, { recursive: true, force: true });
  }
}

interface PageVisit {
  problems: string[];
  requests: string[];
  evaluate: (expression: string) => Promise<unknown>;
  /** A PNG screenshot of the page region (CSS pixels, device scale 1). */
  screenshot: (clip: { x: number; y: number; width: number; height: number }) => Promise<Buffer>;
  closeTab: () => Promise<void>;
}

/** Open url in a new tab, collecting console errors, uncaught exceptions, log errors and requests until load. */
async function visit(browser: Browser, url: string): Promise<PageVisit> {
  const { targetId } = (await browser.send('Target.createTarget', { url: 'about:blank' })) as { targetId: string };
  const { sessionId } = (await browser.send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
  const problems: string[] = [];
  const requests: string[] = [];
  let loaded!: () => void;
  const load = new Promise<void>((r) => (loaded = r));
  const off = browser.on((m) => {
    if (m.sessionId !== sessionId || !m.method) return;
    const p = m.params ?? {};
    if (m.method === 'Runtime.consoleAPICalled' && ['error', 'assert', 'warning'].includes(p.type as string)) {
      const args = (p.args as { value?: unknown; description?: string }[]).map((a) => a.value ?? a.description).join(' ');
      problems.push(`console.${p.type}: ${args}`);
    } else if (m.method === 'Runtime.exceptionThrown') {
      const d = p.exceptionDetails as { text: string; exception?: { description?: string } };
      problems.push(`exception: ${d.exception?.description ?? d.text}`);
    } else if (m.method === 'Log.entryAdded') {
      const e = p.entry as { level: string; text: string; url?: string };
      if (e.level === 'error' || e.level === 'warning') problems.push(`log ${e.level}: ${e.text} ${e.url ?? ''}`);
    } else if (m.method === 'Network.requestWillBeSent') {
      requests.push((p.request as { url: string }).url);
    } else if (m.method === 'Page.loadEventFired') {
      loaded();
    }
  });
  for (const domain of ['Runtime', 'Log', 'Page', 'Network']) await browser.send(`${domain}.enable`, {}, sessionId);
  await browser.send('Page.navigate', { url }, sessionId);
  await load;
  // Let late errors (timers, deferred rendering) arrive.
  await new Promise((r) => setTimeout(r, 300));
  return {
    problems,
    requests,
    evaluate: async (expression) => {
      const r = (await browser.send('Runtime.evaluate', { expression, returnByValue: true }, sessionId)) as { result: { value: unknown } };
      return r.result.value;
    },
    screenshot: async (clip) => {
      const r = (await browser.send('Page.captureScreenshot', { format: 'png', clip: { ...clip, scale: 1 }, captureBeyondViewport: true }, sessionId)) as { data: string };
      return Buffer.from(r.data, 'base64');
    },
    closeTab: async () => {
      off();
      await browser.send('Target.closeTarget', { targetId });
    },
  };
}

const dir = mkdtempSync(join(tmpdir(), 'relurev-report-'));
let browser: Browser;

before(() => {
  const probe = spawnSync(CHROMIUM, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(`headless Chromium is needed for this test: "${CHROMIUM} --version" failed; install it with: apt-get install -y chromium`);
  }
  browser = new Browser();
});

after(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function extract(dims: number[], seed: number): Promise<{ result: ExtractResult; truth: ReturnType<typeof randomNetwork> }> {
  const truth = randomNetwork(dims, seed);
  const result = await extractNetwork(new CountingOracle(new LocalOracle(truth)), { seed });
  return { result, truth };
}

test('the problem collector itself sees console errors, exceptions and failed requests', { timeout: 30_000 }, async () => {
  const html = '<html><body><img src="file:///nonexistent/relurev.png"><script>console.error("boom"); undefinedFunction();</script></body></html>';
  const page = await visit(browser, `data:text/html,${encodeURIComponent(html)}`);
  await page.closeTab();
  assert.ok(page.problems.some((p) => p.includes('console.error: boom')), page.problems.join('\n'));
  assert.ok(page.problems.some((p) => p.startsWith('exception:') && p.includes('undefinedFunction')), page.problems.join('\n'));
  assert.ok(page.problems.some((p) => p.includes('relurev.png') || p.includes('ERR_FILE_NOT_FOUND')), page.problems.join('\n'));
});

test('report of a 2-D network with its truth: loads cleanly, per-layer table, phase chart and region map', { timeout: 30_000 }, async () => {
  const { result, truth } = await extract([2, 8, 3], 5);
  const path = join(dir, 'report.html');
  await writeReport(path, { result, truth, source: 'net-2-8-3.json', precision: 'float64' });
  const page = await visit(browser, pathToFileURL(path).href);
  const info = (await page.evaluate(`(() => {
    const table = document.querySelector('table#layers');
    return {
      title: document.title,
      headers: table ? [...table.querySelectorAll('thead th')].map((th) => th.textContent) : [],
      rows: table ? [...table.querySelectorAll('tbody tr')].map((tr) => [...tr.cells].map((c) => c.textContent)) : [],
      phaseSvg: !!document.querySelector('#phases svg'),
      phaseBars: document.querySelectorAll('#phases svg path, #phases svg rect').length,
      mapPolygons: document.querySelectorAll('#region-map svg polygon').length,
      mapLines: document.querySelectorAll('#region-map svg line').length,
      visibleTable: table ? table.getBoundingClientRect().height > 0 : false,
      map: (() => {
        const svg = document.querySelector('#region-map svg');
        if (!svg) return null;
        const r = svg.getBoundingClientRect();
        return { x: r.x + scrollX, y: r.y + scrollY, width: r.width, height: r.height, attrW: Number(svg.getAttribute('width')), attrH: Number(svg.getAttribute('height')) };
      })(),
      dpr: devicePixelRatio,
    };
  })()`)) as {
    title: string;
    headers: string[];
    rows: string[][];
    phaseSvg: boolean;
    phaseBars: number;
    mapPolygons: number;
    mapLines: number;
    visibleTable: boolean;
    map: { x: number; y: number; width: number; height: number; attrW: number; attrH: number } | null;
    dpr: number;
  };
  // The boundary map as Chromium draws it: a PNG of exactly the map's size, and not blank.
  assert.ok(info.map, 'the region map is in the page');
  assert.equal(info.dpr, 1);
  assert.deepEqual([info.map.width, info.map.height], [info.map.attrW, info.map.attrH], 'the map is drawn at its own size');
  const shot = decodePng(await page.screenshot({ x: info.map.x, y: info.map.y, width: info.map.width, height: info.map.height }));
  await page.closeTab();
  assert.deepEqual([shot.width, shot.height], [info.map.attrW, info.map.attrH]);
  const stats = pixelStats(shot, { blue: (r, _g, b) => b > 150 && r < 80 });
  assert.ok(stats.colours > 30, `${stats.colours} distinct colours in the map`);
  assert.ok(stats.whiteShare < 0.5, `the map is mostly not white (${(100 * stats.whiteShare).toFixed(1)}% white)`);
  assert.ok(stats.counts.blue > 50, `layer-1 boundaries drawn (${stats.counts.blue} blue pixels)`);
  assert.deepEqual(page.problems, [], 'no console errors, exceptions or failed loads');
  assert.ok(page.requests.every((u) => u.startsWith('file:') || u.startsWith('data:')), `requests outside the file: ${page.requests.join(', ')}`);
  assert.match(info.title, /relurev report/);
  assert.ok(info.visibleTable, 'the per-layer table is rendered');
  assert.ok(info.headers.includes('neurons found') && info.headers.includes('log₁₀ err W'), info.headers.join(' | '));
  // One row per recovered layer (hidden layers 1..d, then the output layer), each with its width.
  const layers = result.network?.layers ?? [];
  const expected = layers.map((_, k) => (k === result.widths.length ? 'output' : String(k + 1)));
  assert.ok(layers.length >= 1, 'the extraction recovered at least layer 1');
  assert.deepEqual(info.rows.map((r) => r[0]), expected);
  assert.deepEqual(info.rows.map((r) => r[1]), layers.map((l) => String(l.outDim)));
  assert.ok(info.rows.every((r) => r.length === info.headers.length), 'every row has a cell per column');
  assert.ok(info.phaseSvg && info.phaseBars > 0, 'phase chart drawn');
  assert.ok(info.mapPolygons > 1 && info.mapLines >= 8, `region map drawn (${info.mapPolygons} regions, ${info.mapLines} lines)`);
});

test('report of a failed extraction (nothing recovered) still renders, with the table saying so', async () => {
  const result: ExtractResult = {
    network: null,
    complete: false,
    partial: true,
    widths: [],
    queries: 12,
    seconds: 0.01,
    unresolved: [{ layer: 1, reason: 'no boundary point found: the black box looks linear on the sampled lines' }],
    notes: [],
    phases: { 'layer 1': 12 },
    error: 'budget of 12 queries exhausted',
  };
  const html = await renderReport({ result, truth: randomNetwork([3, 4, 1], 1), source: 'linear <box>' });
  assert.match(html, /<table id="layers">/);
  assert.match(html, /no layer recovered/);
  assert.match(html, /linear &lt;box&gt;/);
  assert.match(html, /no output layer: no comparison/);
  assert.doesNotMatch(html, /<script/i);
});

test('relurev extract --report writes the page (and says so in --json); a bad --report path is refused before any query', { timeout: 60_000 }, async () => {
  const net = join(dir, 'cli-net.json');
  writeNetworkJson(net, randomNetwork([2, 6, 3], 4));
  const report = join(dir, 'cli-report.html');
  const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'extract', '--model', net, '--out', join(dir, 'cli-rec.json'), '--quiet', ...args], { encoding: 'utf8' });
  const r = run('--truth', net, '--report', report, '--json');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout.trim().split('\n').at(-1)!).report, report);
  const html = readFileSync(report, 'utf8');
  assert.match(html, /<table id="layers">/);
  assert.match(html, /<div class="figure" id="region-map"><svg/);
  const page = await visit(browser, pathToFileURL(report).href);
  await page.closeTab();
  assert.deepEqual(page.problems, []);

  const bad = run('--report', join(dir, 'no-such-dir', 'r.html'));
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /cannot write --report/);
  assert.equal(run('--report', join(dir, 'r.txt')).status, 2);
});
