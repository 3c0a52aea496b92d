// What every browser test needs: a real Brigade server on a fresh data directory, a
// headless Chromium (the system's, never a downloaded one), and small API helpers.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SCREENSHOTS = join(root, 'target', 'screenshots');
mkdirSync(SCREENSHOTS, { recursive: true });

const BINARY = process.env.BRIGADE_BIN || join(root, 'target', 'debug', 'brigade');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Whether the tests can run here; in CI they must. */
export function skipReason() {
  const missing = [];
  if (!existsSync(BINARY)) missing.push(`the brigade binary (${BINARY}; run cargo build)`);
  if (!existsSync(CHROMIUM)) missing.push(`Chromium (${CHROMIUM}; apt-get install chromium)`);
  if (!missing.length) return false;
  const why = `browser tests need ${missing.join(' and ')}`;
  if (process.env.CI === 'true') throw new Error(`${why} — refusing to skip in CI`);
  console.error(`\n!!! SKIPPING BROWSER TESTS: ${why} !!!\n`);
  return why;
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** A Brigade server on its own data directory. `restart()` keeps the data and port. */
export class Server {
  static async start(extraArgs = []) {
    const s = new Server();
    s.extraArgs = extraArgs;
    s.dir = mkdtempSync(join(tmpdir(), 'brigade-web-'));
    // With BRIGADE_TEST_DATABASE_URL, each server gets a fresh PostgreSQL database
    // (named like the Rust tests' ones, so scripts/test drops it afterwards).
    const pg = process.env.BRIGADE_TEST_DATABASE_URL;
    if (pg) {
      const name = `brigade_t_web_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
      execFileSync('psql', [pg, '-qc', `CREATE DATABASE ${name}`]);
      const url = new URL(pg);
      url.pathname = `/${name}`;
      s.databaseUrl = url.toString();
    }
    s.port = await freePort();
    s.base = `http://127.0.0.1:${s.port}`;
    await s.launch();
    return s;
  }

  async launch() {
    const args = ['serve', '--data-dir', this.dir, '--addr', `127.0.0.1:${this.port}`, '--public-base-url', this.base,
      '--log-format', 'json', '--rate-limit-ip-per-sec', '1000'];
    if (this.databaseUrl) args.push('--database-url', this.databaseUrl);
    args.push(...this.extraArgs);
    this.proc = spawn(BINARY, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, RUST_LOG: 'warn' } });
    this.log = '';
    this.proc.stderr.on('data', (d) => (this.log += d));
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (this.proc.exitCode !== null) throw new Error(`brigade exited: ${this.log}`);
      try {
        const r = await fetch(`${this.base}/health/ready`);
        if (r.ok) return;
      } catch {
        // not up yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`brigade did not start: ${this.log}`);
  }

  async stop() {
    if (!this.proc || this.proc.exitCode !== null) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGTERM');
    await exited;
  }

  async restart() {
    await this.stop();
    await this.launch();
  }

  async close() {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Calls the JSON API; throws on an error status unless `expect` says otherwise. */
  async api(method, path, body, token, expect) {
    const headers = { 'Content-Type': 'application/json' };
    if (token) headers.Authorization = `Bearer ${token}`;
    const r = await fetch(`${this.base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const data = r.status === 204 ? null : await r.json();
    if (expect ? r.status !== expect : !r.ok) throw new Error(`${method} ${path} → ${r.status} ${JSON.stringify(data)}`);
    return data;
  }

  /** The first owner and their restaurant. */
  async signup(email = 'owner@example.com', password = 'correct horse battery') {
    const s = await this.api('POST', '/v1/auth/signup', {
      email, password, name: 'Olive Owner',
      restaurant: { name: 'Test Kitchen', timezone: 'America/New_York', currency: 'USD', tax_rate_bps: 800 },
    });
    return { email, password, token: s.access_token, rid: s.restaurant.id, slug: s.restaurant.slug };
  }
}

/** A headless Chromium; `extraArgs` add flags (a fake microphone playing a file, say). */
export async function browser(extraArgs = []) {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--disable-quic', '--no-first-run', ...extraArgs],
  });
}

/** A page that fails the test on any script error or request to another host. */
export async function newPage(b, base, viewport = { width: 1366, height: 900 }) {
  const context = await b.newContext({ viewport });
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && !/Failed to load resource|WebSocket/.test(m.text()) && page.problems.push(`console: ${m.text()}`));
  page.on('dialog', (d) => {
    if (d.type() === 'alert') page.problems.push(`alert fired: ${d.message()}`);
    d.accept();
  });
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (!['127.0.0.1', 'localhost'].includes(u.hostname) && !['data:', 'blob:'].includes(u.protocol)) page.problems.push(`external request: ${r.url()}`);
  });
  return page;
}

export async function shot(page, name) {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Signs in through the login page. */
export async function signIn(page, base, email, password, next = '/app') {
  await page.goto(`${base}/login?next=${encodeURIComponent(next)}`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((u) => u.pathname === next.split('?')[0]);
}

/** A category and an item with a required "Doneness" group, through the API. */
export async function seedMenu(server, owner, itemName = 'Burger') {
  const base = `/v1/restaurants/${owner.rid}`;
  const cat = await server.api('POST', `${base}/menu/categories`, { name: 'Mains' }, owner.token);
  const item = await server.api('POST', `${base}/menu/items`, {
    category_id: cat.id, name: itemName, price: 1250, prep_minutes: 10,
    modifier_groups: [{ name: 'Doneness', min: 1, max: 1, options: [{ name: 'Medium', price_delta: 0 }, { name: 'Well done', price_delta: 0 }] }],
  }, owner.token);
  const side = await server.api('POST', `${base}/menu/items`, { category_id: cat.id, name: 'Fries', price: 450 }, owner.token);
  const table = await server.api('POST', `${base}/tables`, { name: 'T1', capacity: 4 }, owner.token);
  return { category: cat, item, side, table };
}

/** Controls a screen reader could not name: inputs without a label, buttons without text. */
export async function unlabelled(page) {
  return page.evaluate(() => {
    const bad = [];
    for (const el of document.querySelectorAll('input, select, textarea, button')) {
      if (el.type === 'hidden' || el.closest('[hidden]') || el.closest('dialog:not([open])')) continue;
      const named =
        el.getAttribute('aria-label') ||
        (el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`)) ||
        el.closest('label') ||
        (el.tagName === 'BUTTON' && el.textContent.trim());
      if (!named) bad.push(el.outerHTML.slice(0, 120));
    }
    return bad;
  });
}

/** Whether the page scrolls sideways (it should not, at any width). */
export async function overflowsSideways(page) {
  return page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
}
