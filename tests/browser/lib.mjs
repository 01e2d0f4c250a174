// Shared code of Sidang's browser tests (tests/browser/*.test.mjs): playwright-core driving
// Debian's /usr/bin/chromium against a real `sidang serve` on a loopback port, through the UI
// alone (the same accessible names a person or a screen reader uses; the UI is Indonesian by
// default). Node's built-in test runner (node --test); no other package.
//
// Environment (CTest sets the first two, see CMakeLists.txt):
//   SIDANG_BIN                 the built binary (default: $SIDANG_SOURCE_DIR/build/sidang)
//   SIDANG_SOURCE_DIR          the source tree (default: two levels above this file)
//   SIDANG_BROWSER_OUT         where screenshots and failure pictures go (default: a folder
//                              "browser-out" beside the binary); never the source tree, so that
//                              a test run leaves the work tree clean
//   SIDANG_UPDATE_SCREENSHOTS=1  write the README's screenshots into docs/screenshots/ instead
//   SIDANG_CHROMIUM            the browser (default /usr/bin/chromium)
//   SIDANG_TEST_KEEP=1         keep the temporary data directory (its path is printed)
//   SIDANG_TEST_VERBOSE=1      print the server's standard error and the pages' console live

import {spawn} from 'node:child_process';
import {once} from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import assert from 'node:assert/strict';
import {it} from 'node:test';
import {fileURLToPath} from 'node:url';

// playwright-core is the one package (package.json at the repository root; `make test` runs
// `npm ci` when node_modules is missing or package-lock.json changed).
const {chromium} = await import('playwright-core').catch((e) => {
	throw new Error(`playwright-core is not installed: run \`npm ci\` at the repository root (make test does) [${e.message}]`);
});

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const SOURCE_DIR = process.env.SIDANG_SOURCE_DIR || path.resolve(HERE, '..', '..');
export const BIN = process.env.SIDANG_BIN || path.join(SOURCE_DIR, 'build', 'sidang');
export const OUT_DIR = process.env.SIDANG_BROWSER_OUT || path.join(path.dirname(BIN), 'browser-out');
export const UPDATE_SCREENSHOTS = process.env.SIDANG_UPDATE_SCREENSHOTS === '1';
export const SCREENSHOT_DIR = UPDATE_SCREENSHOTS ? path.join(SOURCE_DIR, 'docs', 'screenshots') : OUT_DIR;
const CHROMIUM = process.env.SIDANG_CHROMIUM || '/usr/bin/chromium';
const KEEP = process.env.SIDANG_TEST_KEEP === '1';
const VERBOSE = process.env.SIDANG_TEST_VERBOSE === '1';

// Generous but bounded: the sanitizer build is several times slower than a release build, and
// chromium shares two cores with it.
export const ACTION_TIMEOUT_MS = 30000;
const SERVER_START_MS = 60000;
const SERVER_STOP_MS = 20000;

export const DESKTOP = {width: 1366, height: 768};
export const PHONE = {width: 390, height: 844};

// Every account gets this password (≥ 10 characters), given to `sidang user add` on stdin.
export const PASSWORD = 'kata-sandi-yang-panjang';

// The seed's five officials (all cleared for everything) and two PICs (role reader): pic1 is
// cleared up to rahasia, pic2 only for biasa.
export const USERS = [
	{name: 'karo', role: 'karo_hph', clearance: 'sangat_rahasia', display: 'Hendra Wijaya', nip: '197001011995031001', unit: 'Biro HPH'},
	{name: 'kabag', role: 'kabag_persidangan', clearance: 'sangat_rahasia', display: 'Siti Rahmawati', nip: '197505052000032002', unit: 'Bagian Persidangan'},
	{name: 'kasubbag', role: 'kasubbag_pengelolaan', clearance: 'sangat_rahasia', display: 'Agus Pratama', nip: '198003032005011003', unit: 'Subbagian Pengelolaan Persidangan'},
	{name: 'persidangan', role: 'pengelola_persidangan', clearance: 'sangat_rahasia', display: 'Dewi Lestari', nip: '199002022015032004', unit: 'Subbagian Pengelolaan Persidangan'},
	{name: 'naskah', role: 'pengelola_naskah', clearance: 'sangat_rahasia', display: 'Rudi Hartono', nip: '199104042016011005', unit: 'Subbagian Pengelolaan Persidangan'},
	{name: 'pic1', role: 'reader', clearance: 'rahasia', display: 'Andi Saputra', nip: '198506062010011006', unit: 'Deputi Bidang Koordinasi Hukum'},
	{name: 'pic2', role: 'reader', clearance: 'biasa', display: 'Maya Sari', nip: '198707072012012007', unit: 'Deputi Bidang Koordinasi Keamanan'},
];
export const user = (name) => USERS.find((u) => u.name === name);

// A title and a file name that would run script if any page put them in as HTML.
export const HOSTILE_TITLE = 'Rapat <b>Koordinasi</b> <script>alert(1)</script> & "kutip"';
export const HOSTILE_FILE = '<img src=x onerror=alert(1)>.pdf';

const SANITIZER_RE = /ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|AddressSanitizer:DEADLYSIGNAL/;
const LISTEN_RE = /sidang: listening on (http:\/\/[^\s/]+:\d+)/;

export function note(msg) {
	process.stderr.write(`[note] ${msg}\n`);
}

// --------------------------------------------------------------------------------------------
// the CLI and the server

function run(args, input) {
	return new Promise((resolve, reject) => {
		const p = spawn(BIN, args, {stdio: ['pipe', 'pipe', 'pipe']});
		let out = '';
		let err = '';
		p.stdout.on('data', (d) => { out += d; });
		p.stderr.on('data', (d) => { err += d; });
		p.on('error', reject);
		const timer = setTimeout(() => p.kill('SIGKILL'), 60000);
		p.on('close', (code, signal) => {
			clearTimeout(timer);
			if (code === 0) resolve(out);
			else reject(new Error(`sidang ${args.join(' ')} -> ${code ?? signal}\n${out}${err}`));
		});
		p.stdin.end(input || '');
	});
}

// A fresh instance: `sidang init`, the accounts of USERS (password on stdin), `sidang serve
// --port 0` on 127.0.0.1. Returns {url, dataDir, stop()}; stop() sends SIGTERM and checks that the
// server exits 0 with no sanitizer report. Options: ENV, variables added to the server's
// environment (SIDANG_INBOX_SETTLE_MS ...); SERVE_ARGS, more arguments to `sidang serve`
// (`--workers 2` ...).
export async function startServer({env = {}, serveArgs = []} = {}) {
	if (!fs.existsSync(BIN)) throw new Error(`sidang binary not found: ${BIN} (set SIDANG_BIN)`);
	const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sidang-browser-'));
	const dataDir = path.join(tmp, 'data');
	await run(['init', dataDir]);
	for (const u of USERS) {
		await run(['user', 'add', u.name, '--role', u.role, '--clearance', u.clearance,
			'--display-name', u.display, '--nip', u.nip, '--unit', u.unit, '--data', dataDir], `${PASSWORD}\n`);
	}
	const logPath = path.join(tmp, 'server.stderr');
	const logFd = fs.openSync(logPath, 'w');
	const proc = spawn(BIN, ['serve', '--data', dataDir, '--addr', '127.0.0.1', '--port', '0', ...serveArgs],
		{stdio: ['ignore', 'pipe', VERBOSE ? 'inherit' : logFd], env: {...process.env, ...env}});
	fs.closeSync(logFd);
	// Should this process die, take the server with it.
	const killOnExit = () => proc.kill('SIGKILL');
	process.on('exit', killOnExit);

	const url = await new Promise((resolve, reject) => {
		let buf = '';
		const timer = setTimeout(() => reject(new Error(`server did not start within ${SERVER_START_MS} ms`)), SERVER_START_MS);
		proc.stdout.on('data', (d) => {
			buf += d;
			const m = LISTEN_RE.exec(buf);
			if (m) {
				clearTimeout(timer);
				resolve(m[1]);
			}
		});
		proc.on('exit', (code) => {
			clearTimeout(timer);
			reject(new Error(`server exited (${code}) before listening:\n${readLog()}`));
		});
	});
	proc.stdout.resume();

	function readLog() {
		try {
			return fs.readFileSync(logPath, 'utf8');
		} catch {
			return '';
		}
	}

	let stopped = false;
	return {
		url,
		dataDir,
		log: readLog,
		async stop() {
			if (stopped) return;
			stopped = true;
			let code = proc.exitCode;
			if (code === null && proc.signalCode === null) {
				proc.kill('SIGTERM');
				const timer = setTimeout(() => proc.kill('SIGKILL'), SERVER_STOP_MS);
				[code] = await once(proc, 'exit');
				clearTimeout(timer);
			}
			process.off('exit', killOnExit);
			const log = readLog();
			if (KEEP) note(`kept ${tmp}`);
			else fs.rmSync(tmp, {recursive: true, force: true});
			assert.equal(code, 0, `sidang serve exited ${code} after SIGTERM\n${log.slice(-3000)}`);
			assert.ok(!SANITIZER_RE.test(log), `sanitizer report in the server's log:\n${log.slice(-5000)}`);
		},
	};
}

// --------------------------------------------------------------------------------------------
// the browser

export async function launchBrowser() {
	return chromium.launch({
		executablePath: CHROMIUM,
		headless: true,
		// playwright-core gives the browser a fresh, empty user-data-dir of its own.
		args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
			'--disable-sync', '--no-first-run', '--disable-quic'],
		timeout: 60000,
	});
}

// Chromium logs every 4xx/5xx answer as a console error; the 4xx are part of normal use (the
// 401 of GET /api/me before signing in, a 404 for "no case yet").
const EXPECTED_CONSOLE = /^Failed to load resource: the server responded with a status of 4\d\d\b/;

// One signed-in user in a browser context of their own. Everything unexpected that happens in
// its pages is collected in `problems`: a console error or i18n warning, an uncaught exception, a
// CSP violation, and any dialog the test did not announce with expectConfirm() (an alert() from
// injected script would land here).
export class Session {
	constructor(browser, server, username, {viewport = DESKTOP} = {}) {
		this.browser = browser;
		this.server = server;
		this.username = username;
		this.viewport = viewport;
		this.problems = [];
		this.expectedDialogs = [];
		this.dialogsSeen = [];
	}

	problem(kind, text) {
		this.problems.push(`[${this.username}] ${kind}: ${text}`);
	}

	async open() {
		this.context = await this.browser.newContext({
			viewport: this.viewport,
			locale: 'id-ID',
			timezoneId: 'Asia/Jakarta',
			acceptDownloads: true,
		});
		this.context.setDefaultTimeout(ACTION_TIMEOUT_MS);
		await this.context.exposeBinding('__sidangReport', (_src, kind, text) => this.problem(kind, text));
		await this.context.addInitScript(() => {
			document.addEventListener('securitypolicyviolation', (e) => {
				window.__sidangReport('CSP violation',
					`${e.violatedDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber} ${e.sample || ''}`);
			}, true);
		});
		this.context.on('page', (p) => this.watch(p));
		this.page = await this.context.newPage();
		return this;
	}

	watch(page) {
		page.on('console', (msg) => {
			const text = msg.text();
			if (VERBOSE) process.stderr.write(`[${this.username} console.${msg.type()}] ${text}\n`);
			if (msg.type() === 'error' && !EXPECTED_CONSOLE.test(text)) this.problem('console error', text);
			if (msg.type() === 'warning' && /i18n/.test(text)) this.problem('console warning', text);
		});
		page.on('pageerror', (err) => this.problem('uncaught exception', String(err && err.stack || err)));
		page.on('dialog', async (dialog) => {
			const msg = dialog.message();
			this.dialogsSeen.push({type: dialog.type(), message: msg});
			const i = this.expectedDialogs.findIndex((e) => dialog.type() === 'confirm' && e.re.test(msg));
			if (i >= 0) {
				const [e] = this.expectedDialogs.splice(i, 1);
				e.seen = true;
				if (e.accept) await dialog.accept();
				else await dialog.dismiss();
			} else {
				this.problem(`unexpected ${dialog.type()} dialog`, msg);
				await dialog.dismiss();
			}
		});
	}

	// Announces a confirm() whose message matches RE; it is accepted (or, with accept: false,
	// dismissed). Returns a handle whose .seen says whether it came.
	expectConfirm(re, {accept = true} = {}) {
		const e = {re, accept, seen: false};
		this.expectedDialogs.push(e);
		return e;
	}

	// Signs in through the login form.
	async login() {
		const page = this.page;
		await page.goto(`${this.server.url}/`);
		await page.getByLabel('Nama pengguna').fill(this.username);
		await page.getByLabel('Kata sandi').fill(PASSWORD);
		await page.getByRole('button', {name: 'Masuk', exact: true}).click();
		await page.getByRole('button', {name: 'Keluar'}).waitFor();
		await page.getByText(user(this.username).display, {exact: true}).first().waitFor();
		return this;
	}

	// Goes to HASH through the address bar's hash (the app's own router) and waits for the page's
	// heading to be out of "Memuat…".
	async go(hash) {
		await this.page.evaluate((h) => { location.hash = h; }, hash);
		await this.settled();
	}

	async settled() {
		const page = this.page;
		await page.locator('main h1').first().waitFor();
		await waitFor(async () => !(await page.locator('main').getByText('Memuat…').count()), 'the page to finish loading');
	}

	// The inbox, freshly read: through the header's link, or by reloading the page when it is
	// shown already (the link to the page one is on does not re-read it).
	async inbox() {
		const page = this.page;
		if (new URL(page.url()).hash === '#/inbox') await page.reload();
		else await page.getByRole('navigation', {name: 'Menu utama'}).getByRole('link', {name: /Kotak Masuk Tugas/}).click();
		await page.getByRole('heading', {level: 1, name: 'Kotak Masuk Tugas'}).waitFor();
		await this.settled();
	}

	assertClean(where) {
		const extra = this.expectedDialogs.filter((e) => !e.seen).map((e) => `expected confirm ${e.re} did not come`);
		assert.deepEqual([...this.problems, ...extra], [], `problems in the browser ${where ? `(${where})` : ''}`);
	}

	isOpen() {
		return !!this.context;
	}

	async close() {
		const c = this.context;
		this.context = null;
		this.page = null;
		if (c) await c.close().catch(() => {});
	}
}

// Polls FN until it returns a truthy value (which is returned), or fails after TIMEOUT.
export async function waitFor(fn, what, timeout = ACTION_TIMEOUT_MS) {
	const deadline = Date.now() + timeout;
	let last;
	for (;;) {
		try {
			last = await fn();
			if (last) return last;
		} catch (e) {
			last = e;
		}
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
		await new Promise((r) => setTimeout(r, 100));
	}
}

// TEXT is shown as text inside SCOPE (a page or a locator: at least one visible element holds
// it), and no markup it carries became an element: nothing from an HTML-looking title or file
// name was parsed anywhere on the page.
export async function assertLiteral(scope, text, where) {
	const page = typeof scope.page === 'function' ? scope.page() : scope;
	await waitFor(async () => {
		const loc = scope.getByText(text);
		const n = await loc.count();
		for (let i = 0; i < n; i += 1) if (await loc.nth(i).isVisible()) return true;
		return false;
	}, `"${text}" shown as text (${where})`);
	await assertNoInjectedMarkup(page, where);
}

export async function assertNoInjectedMarkup(page, where) {
	const found = await page.evaluate(() => ({
		img: document.querySelectorAll('img[src="x"], img[onerror]').length,
		bold: Array.from(document.querySelectorAll('main b')).filter((b) => b.textContent.includes('Koordinasi')).length,
		scripts: Array.from(document.scripts).map((s) => s.src || `inline:${s.textContent.slice(0, 40)}`),
		handlers: Array.from(document.querySelectorAll('*')).filter((el) => Array.from(el.attributes).some((a) => a.name.startsWith('on'))).length,
	}));
	assert.equal(found.img, 0, `an <img> from a file name was created (${where})`);
	assert.equal(found.bold, 0, `a <b> from a title was created (${where})`);
	assert.equal(found.handlers, 0, `an element with an on… attribute exists (${where})`);
	assert.ok(found.scripts.every((s) => /\/app\.js$/.test(s)), `unexpected script elements (${where}): ${found.scripts.join(', ')}`);
}

// --------------------------------------------------------------------------------------------
// files and pictures

// A small valid PDF (libmagic: application/pdf), one page with MARKER as text, unique per call.
export function pdfBytes(marker, padTo = 0) {
	const text = `${marker} ${crypto.randomBytes(6).toString('hex')}`.replace(/[()\\]/g, '');
	const stream = `BT /F1 18 Tf 72 720 Td (${text}) Tj ET`;
	const objs = [
		'<< /Type /Catalog /Pages 2 0 R >>',
		'<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
		'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>',
		`<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
		'<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
	];
	let body = '%PDF-1.4\n';
	const offsets = [];
	objs.forEach((o, i) => {
		offsets.push(body.length);
		body += `${i + 1} 0 obj\n${o}\nendobj\n`;
	});
	if (padTo > body.length) body += `% ${'x'.repeat(padTo - body.length)}\n`;
	const xref = body.length;
	body += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n`;
	for (const off of offsets) body += `${String(off).padStart(10, '0')} 00000 n \n`;
	body += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
	return Buffer.from(body, 'latin1');
}

// A file for setInputFiles / dropFiles.
export function pdfFile(name, marker, padTo) {
	return {name, mimeType: 'application/pdf', buffer: pdfBytes(marker || name, padTo)};
}

// Drops FILES onto the drop zone LOCATOR as a person dragging them from the desktop would
// (dragenter, dragover, drop with a DataTransfer holding them).
export async function dropFiles(page, locator, files) {
	const dt = await page.evaluateHandle((list) => {
		const t = new DataTransfer();
		for (const f of list) {
			const bytes = Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0));
			t.items.add(new File([bytes], f.name, {type: f.mimeType}));
		}
		return t;
	}, files.map((f) => ({name: f.name, mimeType: f.mimeType, b64: f.buffer.toString('base64')})));
	await locator.dispatchEvent('dragenter', {dataTransfer: dt});
	await locator.dispatchEvent('dragover', {dataTransfer: dt});
	await locator.dispatchEvent('drop', {dataTransfer: dt});
	await dt.dispose();
}

// A screenshot of the viewport: into docs/screenshots/ with SIDANG_UPDATE_SCREENSHOTS=1 (for the
// README), else into the build's output folder.
export async function screenshot(page, name) {
	fs.mkdirSync(SCREENSHOT_DIR, {recursive: true});
	const file = path.join(SCREENSHOT_DIR, `${name}.png`);
	// No caret or focus ring moving between runs; the page scrolled to its top.
	await page.evaluate(() => {
		if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
		window.scrollTo(0, 0);
	});
	await page.screenshot({path: file, animations: 'disabled', caret: 'hide'});
	const size = fs.statSync(file).size;
	note(`screenshot ${file} (${Math.round(size / 1024)} KiB)`);
	return file;
}

// A picture of each open page of SESSIONS, for a failed test (into OUT_DIR only).
export async function failurePictures(sessions, label) {
	fs.mkdirSync(OUT_DIR, {recursive: true});
	for (const s of sessions) {
		if (!s || !s.page || s.page.isClosed()) continue;
		const file = path.join(OUT_DIR, `failure-${label}-${s.username}.png`);
		try {
			await s.page.screenshot({path: file, fullPage: true, timeout: 10000});
			note(`failure picture ${file} (at ${s.page.url()})`);
		} catch {
			// the page is gone
		}
	}
}

// Runs the steps of a scenario in order; once one fails, the rest are skipped (they depend on it).
export function sequence() {
	let failed = null;
	return (name, fn) => async (t) => {
		if (failed) {
			t.skip(`skipped: "${failed}" failed`);
			return;
		}
		try {
			await fn(t);
		} catch (e) {
			failed = name;
			throw e;
		}
	};
}

// The people and the steps of a walk through the UI. as(NAME): NAME signed in through the login
// form in a fresh browser context. The officials take their turns one after the other: whoever
// worked before leaves (their context is closed, as if they closed the browser), so that the
// server sees about one browser's connections at a time, as from one office PC each (the server
// allows 32 connections per address; see README.md). step(NAME, FN): a test that runs only while
// every step before it passed. close(LABEL): failure pictures of the open sessions when a step
// failed, then every session closed. Set .browser and .server in the suite's before().
export class Walk {
	constructor() {
		this.sessions = {};
		this.failed = false;
		this.inOrder = sequence();
		this.browser = null;
		this.server = null;
	}

	step(name, fn) {
		return it(name, async (t) => {
			try {
				await this.inOrder(name, fn)(t);
			} catch (e) {
				this.failed = true;
				throw e;
			}
		});
	}

	async as(name) {
		for (const [other, s] of Object.entries(this.sessions)) {
			if (other !== name && s.isOpen()) await s.close();
		}
		if (!this.sessions[name]) this.sessions[name] = new Session(this.browser, this.server, name);
		const s = this.sessions[name];
		if (!s.isOpen()) {
			await s.open();
			await s.login();
		}
		return s;
	}

	async close(label) {
		if (this.failed) await failurePictures(Object.values(this.sessions), label);
		for (const s of Object.values(this.sessions)) await s.close();
	}
}
