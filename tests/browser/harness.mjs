// Test harness for the browser tests: starts the real spacelinks binary on a
// free port with a throw-away data directory, talks to its DocSpace API, and
// launches Debian's Chromium through playwright-core (no downloaded browsers).
//
// Environment:
//   SPACELINKS_BIN          the spacelinks binary (required; scripts/test sets it
//                           to the release build)
//   SPACELINKS_CHROMIUM     the browser (default /usr/bin/chromium)
//   SPACELINKS_SCREENSHOTS  where screenshots go (default: a new temp folder)

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { chromium } from 'playwright-core';

export const OWNER_EMAIL = 'owner@example.com';
export const OWNER_PASSWORD = 'owner-password-1';

export const CHROMIUM = process.env.SPACELINKS_CHROMIUM || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A port nobody listens on right now. */
export async function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

/**
 * Starts `spacelinks serve` and resolves once GET /healthz answers 200.
 * `env` adds or overrides SPACELINKS_* settings. Returns { baseUrl, dataDir, logPath, stop() }.
 */
export async function startServer({ timeoutMs = 30_000, env: extraEnv = {} } = {}) {
  const bin = process.env.SPACELINKS_BIN;
  if (!bin) {
    throw new Error('SPACELINKS_BIN must point at the spacelinks binary, e.g. '
      + 'SPACELINKS_BIN=$CARGO_TARGET_DIR/debug/spacelinks node --test tests/browser/');
  }
  if (!existsSync(bin)) throw new Error(`SPACELINKS_BIN=${bin} does not exist; build it first`);
  const dataDir = mkdtempSync(join(tmpdir(), 'spacelinks-browser-'));
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const logPath = join(dataDir, 'server.log');
  const logFd = openSync(logPath, 'w');
  const env = {
    ...process.env,
    SPACELINKS_LISTEN: `127.0.0.1:${port}`,
    SPACELINKS_DATA_DIR: dataDir,
    SPACELINKS_OWNER_EMAIL: OWNER_EMAIL,
    SPACELINKS_OWNER_PASSWORD: OWNER_PASSWORD,
    RUST_LOG: process.env.RUST_LOG || 'warn',
    ...extraEnv,
  };
  delete env.SPACELINKS_DATABASE_URL;
  delete env.SPACELINKS_BLOB_URL;
  delete env.SPACELINKS_PUBLIC_URL;
  const proc = spawn(resolve(bin), ['serve'], { env, stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  let exited = null;
  const exitPromise = new Promise((ok) => proc.once('exit', (code, signal) => { exited = { code, signal }; ok(exited); }));
  proc.once('error', (e) => { exited = { error: e }; });

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) throw new Error(`spacelinks exited early (${JSON.stringify(exited)}); see ${logPath}`);
    try {
      const res = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`spacelinks did not become healthy within ${timeoutMs} ms; see ${logPath}`);
    }
    await delay(50);
  }

  async function stop() {
    if (!exited) {
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exitPromise;
      clearTimeout(timer);
    }
    if (!process.env.SPACELINKS_KEEP_DATA) rmSync(dataDir, { recursive: true, force: true });
  }
  return { baseUrl, dataDir, logPath, stop };
}

/** The owner's side of the DocSpace API, authenticated with an sk- API key. */
export class Api {
  constructor(baseUrl, apiKey) {
    this.baseUrl = baseUrl;
    this.apiKey = apiKey;
  }

  static async asOwner(baseUrl) {
    const login = await jsonCall(`${baseUrl}/api/2.0/authentication`, {
      method: 'POST',
      body: { userName: OWNER_EMAIL, password: OWNER_PASSWORD },
    });
    const token = login.response.token;
    const key = await jsonCall(`${baseUrl}/api/2.0/keys`, {
      method: 'POST',
      headers: { Authorization: token },
      body: { name: 'browser-tests' },
    });
    return new Api(baseUrl, key.response.key);
  }

  async call(method, path, body) {
    return jsonCall(`${this.baseUrl}${path}`, {
      method,
      headers: { Authorization: `Bearer ${this.apiKey}` },
      body,
    });
  }

  /** Uploads bytes into My Documents; returns the new file's id. */
  async upload(name, bytes, type = 'application/octet-stream') {
    const form = new FormData();
    form.append('File', new Blob([bytes], { type }), name);
    const res = await fetch(`${this.baseUrl}/api/2.0/files/@my/upload`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${this.apiKey}` },
      body: form,
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`upload ${name}: HTTP ${res.status} ${JSON.stringify(json)}`);
    return json.response[0].id;
  }

  /** Creates an external link on a file; returns the link DTO (sharedTo). */
  async createLink(fileId, options) {
    const json = await this.call('PUT', `/api/2.0/files/file/${fileId}/links`, options);
    const link = json.response?.sharedLink ?? json.response?.sharedTo;
    if (!link?.shareLink) throw new Error(`no shareLink in ${JSON.stringify(json)}`);
    return link;
  }

  /** Creates a folder in My Documents (or in `parentId`); returns its id. */
  async createFolder(title, parentId) {
    const parent = parentId ?? (await this.call('GET', '/api/2.0/files/@my')).response.current.id;
    return (await this.call('POST', `/api/2.0/files/folder/${parent}`, { title })).response.id;
  }

  /** Uploads bytes into a folder; returns the new file's id. */
  async uploadTo(folderId, name, bytes, type = 'application/octet-stream') {
    const form = new FormData();
    form.append('File', new Blob([bytes], { type }), name);
    const res = await fetch(`${this.baseUrl}/api/2.0/files/${folderId}/upload`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${this.apiKey}` },
      body: form,
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`upload ${name}: HTTP ${res.status} ${JSON.stringify(json)}`);
    return json.response[0].id;
  }

  async revokeLink(fileId, linkId) {
    return this.call('PUT', `/api/2.0/files/file/${fileId}/links`, { linkId, access: 0 });
  }
}

async function jsonCall(url, { method = 'GET', headers = {}, body } = {}) {
  const res = await fetch(url, {
    method,
    headers: { Accept: 'application/json', ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let json;
  try { json = text ? JSON.parse(text) : {}; } catch { json = { raw: text }; }
  if (!res.ok) throw new Error(`${method} ${url}: HTTP ${res.status} ${text}`);
  return json;
}

/** Debian's Chromium, headless, driven over CDP by playwright-core. */
export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium); `
      + 'these tests never download a browser');
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/** The folder screenshots go to: $SPACELINKS_SCREENSHOTS, or a new temp folder. */
export function screenshotDir() {
  const dir = process.env.SPACELINKS_SCREENSHOTS
    ? resolve(process.env.SPACELINKS_SCREENSHOTS)
    : mkdtempSync(join(tmpdir(), 'spacelinks-screenshots-'));
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * What every browser test file starts with: a screenshot folder, a fresh
 * server, the owner's API client and Chromium. `closeSuite` ends them.
 */
export async function openSuite() {
  const shots = screenshotDir();
  console.log(`screenshots: ${shots}`);
  const server = await startServer();
  const api = await Api.asOwner(server.baseUrl);
  const browser = await launchBrowser();
  return { server, api, browser, shots };
}

export async function closeSuite({ server, browser, shots }) {
  await browser?.close();
  await server?.stop();
  if (shots) console.log(`screenshots: ${shots}`);
}

/** A 48x32 RGB PNG (blue with a white stripe), valid for any decoder. */
export const PNG_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAADAAAAAgCAIAAADbtmxLAAAAOklEQVR42u3UQREAMAgDQRxVGo6xQjXwo9PNnIB9JU7WqgIICAgICGgI6mUDAgL6D+SpgYCAgIAeB10EJSomdMUXGwAAAABJRU5ErkJggg==';

// ------------------------------------------------------------------ web app

/** Signs the owner in through the page at `/`; resolves on the files page. */
export async function signIn(page, baseUrl, { email = OWNER_EMAIL, password = OWNER_PASSWORD } = {}) {
  await page.goto(`${baseUrl}/`);
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await Promise.all([
    page.waitForURL((url) => url.pathname.startsWith('/files')),
    page.getByRole('button', { name: 'Sign in' }).click(),
  ]);
}

/** Clicks something that leads to another page and waits for that page. */
export async function clickAndWait(page, locator) {
  const [response] = await Promise.all([page.waitForNavigation(), locator.click()]);
  return response;
}

const require = createRequire(import.meta.url);
let axeSource = null;

/**
 * Runs axe-core (tests/browser/node_modules) in the page and returns its violations of impact serious or
 * critical, each as "rule-id (impact): help — selector, selector".
 */
export async function seriousAxeViolations(page) {
  axeSource ??= readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) {
    // Evaluated over CDP, which the page's CSP does not govern: a <script>
    // tag (page.addScriptTag) would be refused by script-src 'self', and
    // bypassCSP would hide the pages' own CSP mistakes.
    await page.evaluate(axeSource);
  }
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')),
    }));
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.targets.slice(0, 5).join(', ')}`);
}

/** The widest thing on the page, in CSS pixels. */
export async function pageScrollWidth(page) {
  return page.evaluate(() => document.documentElement.scrollWidth);
}

/**
 * Drops files onto `target` the way a person dragging them from the desktop
 * does: a DataTransfer built in the page, with dragenter, dragover and drop.
 * `files` is [{ name, type, bytes: Buffer }]; `beforeDrop` runs while the
 * files hover over the page.
 */
export async function dropFiles(page, target, files, { beforeDrop } = {}) {
  const payload = files.map((f) => ({ name: f.name, type: f.type, base64: Buffer.from(f.bytes).toString('base64') }));
  const dataTransfer = await page.evaluateHandle((list) => {
    const dt = new DataTransfer();
    for (const f of list) {
      const bin = atob(f.base64);
      const bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i += 1) bytes[i] = bin.charCodeAt(i);
      dt.items.add(new File([bytes], f.name, { type: f.type }));
    }
    return dt;
  }, payload);
  await target.dispatchEvent('dragenter', { dataTransfer });
  await target.dispatchEvent('dragover', { dataTransfer });
  if (beforeDrop) await beforeDrop();
  await target.dispatchEvent('drop', { dataTransfer });
  await dataTransfer.dispose();
}
