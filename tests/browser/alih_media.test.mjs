// Alih media end to end through the web UI: a paper scanned by a network scanner becomes a
// searchable document of a meeting's dossier.
//   - A two-page scan (text set by mutool in Times 16 pt, drawn at 300 dpi grey, the pictures put
//     back into a PDF: no text layer) is dropped into DATA/inbox/ as a careful scanner does (a
//     dotfile first, then renamed); `sidang serve` takes it after its settle time (shortened
//     with SIDANG_INBOX_SETTLE_MS / SIDANG_INBOX_POLL_MS) and runs two workers.
//   - The Pengelola Persidangan (the seed SOP's compile step, docs/internals/intake.md) creates a
//     meeting, opens "Berkas Masuk" from the header, reloads until the file is listed, opens its
//     preview, and files it under the meeting with stage, type, title and the alih-media facts.
//   - In the viewer the processing card is watched until "OCR (pengenalan teks)" is done; the
//     "Unduh PDF dapat dicari" link appears, answers 200 application/pdf, and what it downloads
//     holds the scanned words as text; the dossier lists the document with its thumbnail.
//   - The search page finds the document by a made-up word of page 2, the word in a <mark> of
//     the snippet (text nodes only), "1 dokumen ditemukan"; a PIC with no grants finds nothing.
// Screenshots: tray (an item waiting, its preview), search (the results).

import {describe, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
	Walk, startServer, launchBrowser, screenshot, assertLiteral, assertNoInjectedMarkup, waitFor, note,
} from './lib.mjs';

const MEETING = {title: 'Rapat Koordinasi Batas Wilayah Laut', date: '2026-11-23'};
const SCAN_NAME = 'SCAN_20261124_0001.pdf';
const DOC = {
	title: 'Notulensi Rapat Koordinasi Batas Wilayah Laut',
	stage: 'Pelaksanaan',
	type: 'Notulensi',
	device: 'Fujitsu fi-7160',
	scannedBy: 'Dewi Lestari',
	scannedAt: '2026-11-24',
	pages: '2',
};
// Made-up words (lowercase consonant-vowel syllables, which OCR reads reliably and no stemmer
// shortens: no Indonesian prefix or suffix), one pair per page. The search is for page 2's.
const PAGE1 = ['Notulensi Rapat Koordinasi', 'kode zukaribami pidasulaka'];
const PAGE2 = ['Lampiran halaman kedua', 'kata tamuradiki bunalisaru'];
const WORD = 'tamuradiki';

const TIMEOUT = 240000;
// OCR of two 300 dpi pages by the sanitizer build, on two cores shared with chromium.
const OCR_WAIT_MS = 150000;
const INBOX_WAIT_MS = 30000;

describe('alih media: scanner inbox, tray, OCR, search', {timeout: TIMEOUT}, () => {
	let server;
	let browser;
	let scanDir;
	let scan;
	const walk = new Walk();
	let meetingId = null;
	let documentId = null;
	let offeredAtFirst = null; // the searchable PDF was offered when the viewer first showed
	const step = (name, fn) => walk.step(name, fn);
	const as = (name) => walk.as(name);

	before(async () => {
		scanDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sidang-scan-'));
		scan = scannedPdf(scanDir, [PAGE1, PAGE2]);
		server = await startServer({
			env: {SIDANG_INBOX_SETTLE_MS: '300', SIDANG_INBOX_POLL_MS: '100'},
			serveArgs: ['--workers', '2'],
		});
		browser = await launchBrowser();
		walk.server = server;
		walk.browser = browser;
		note(`server ${server.url}, chromium ${browser.version()}, scan of ${scan.length} bytes`);
	});

	after(async () => {
		await walk.close('alih-media');
		if (browser) await browser.close();
		if (server) await server.stop();
		if (scanDir) fs.rmSync(scanDir, {recursive: true, force: true});
	});

	step('the Pengelola Persidangan creates the meeting', async () => {
		const s = await as('persidangan');
		const page = s.page;
		await page.getByRole('link', {name: 'Rapat', exact: true}).click();
		await page.getByRole('heading', {level: 1, name: 'Daftar Rapat'}).waitFor();
		await page.getByRole('button', {name: 'Rapat baru'}).click();
		const form = page.getByRole('region', {name: 'Rapat baru'});
		await form.getByLabel('Judul rapat').fill(MEETING.title);
		await form.getByLabel('Tanggal').fill(MEETING.date);
		await form.getByRole('button', {name: 'Buat rapat'}).click();
		await page.getByRole('heading', {level: 1, name: MEETING.title, exact: true}).waitFor();
		meetingId = Number(/#\/meetings\/(\d+)/.exec(page.url())[1]);
		assert.ok(meetingId > 0);
		s.assertClean('meeting created');
	});

	step('the scan dropped into the inbox shows in "Berkas Masuk", with its preview', async () => {
		// As a careful scanner: written under a dotfile name (not taken), then renamed.
		const inbox = path.join(server.dataDir, 'inbox');
		const partial = path.join(inbox, `.${SCAN_NAME}`);
		fs.writeFileSync(partial, scan);
		fs.renameSync(partial, path.join(inbox, SCAN_NAME));

		const s = await as('persidangan');
		const page = s.page;
		await page.getByRole('navigation', {name: 'Menu utama'}).getByRole('link', {name: 'Berkas Masuk', exact: true}).click();
		await page.getByRole('heading', {level: 1, name: 'Berkas Masuk'}).waitFor();
		await s.settled();
		// The tray has no refresh of its own: reload the page until the poller has taken the file.
		const link = page.getByRole('link', {name: SCAN_NAME, exact: true});
		await waitFor(async () => {
			if (await link.count()) return true;
			await page.reload();
			await page.getByRole('heading', {level: 1, name: 'Berkas Masuk'}).waitFor();
			await s.settled();
			return (await link.count()) > 0;
		}, `${SCAN_NAME} in the tray`, INBOX_WAIT_MS);
		assert.ok(!fs.existsSync(path.join(inbox, SCAN_NAME)), 'the inbox file is removed once taken');

		const row = page.getByRole('row').filter({has: link});
		await page.getByText('1 berkas menunggu', {exact: true}).waitFor();
		await row.getByRole('cell', {name: 'pemindai (inbox)'}).waitFor();
		await row.getByRole('cell', {name: 'application/pdf'}).waitFor();
		await row.getByRole('cell', {name: '—', exact: true}).waitFor(); // no duplicate

		await link.click();
		await page.getByRole('heading', {level: 2, name: SCAN_NAME, exact: true}).waitFor();
		await s.settled();
		assert.equal(await link.getAttribute('aria-current'), 'page');
		const frame = page.locator('iframe.viewer-frame');
		assert.equal(await frame.getAttribute('title'), `Pratinjau ${SCAN_NAME}`);
		await frame.waitFor({state: 'visible'});
		const preview = await fetchInPage(page, await frame.getAttribute('src'));
		assert.equal(preview.status, 200);
		assert.equal(preview.type, 'application/pdf');
		assert.equal(preview.size, scan.length, 'the preview is the scan, byte for byte');
		assert.equal(preview.head, '%PDF-');
		await assertNoInjectedMarkup(page, 'tray');
		// Time for the frame's PDF viewer to draw before the picture.
		await page.waitForTimeout(1500);
		await screenshot(page, 'tray');
		s.assertClean('tray');
	});

	step('the officer files it under the meeting with its alih-media facts', async () => {
		const s = await as('persidangan');
		const page = s.page;
		const form = page.getByRole('form', {name: 'Berkaskan sebagai dokumen'});
		await form.getByRole('combobox', {name: 'Rapat', exact: true}).selectOption({label: `${MEETING.date} — ${MEETING.title}`});
		await form.getByRole('combobox', {name: 'Tahap', exact: true}).selectOption({label: DOC.stage});
		await form.getByRole('combobox', {name: 'Jenis dokumen', exact: true}).selectOption({label: DOC.type});
		// The title starts as the file name.
		const title = form.getByRole('textbox', {name: 'Judul', exact: true});
		assert.equal(await title.inputValue(), SCAN_NAME);
		await title.fill(DOC.title);
		await form.getByRole('textbox', {name: 'Dipindai oleh', exact: true}).fill(DOC.scannedBy);
		await form.getByLabel('Tanggal pemindaian').fill(DOC.scannedAt);
		await form.getByRole('textbox', {name: 'Perangkat pemindai', exact: true}).fill(DOC.device);
		await form.getByRole('spinbutton', {name: 'Jumlah halaman', exact: true}).fill(DOC.pages);
		await form.getByRole('button', {name: 'Berkaskan', exact: true}).click();

		await page.getByRole('status').filter({hasText: `${SCAN_NAME} telah diberkaskan.`}).waitFor();
		await page.getByRole('heading', {level: 1, name: DOC.title, exact: true}).waitFor();
		documentId = Number(/#\/documents\/(\d+)/.exec(page.url())[1]);
		offeredAtFirst = await page.getByRole('link', {name: /^Unduh PDF dapat dicari/}).count() > 0;
		assert.ok(documentId > 0);
		const facts = page.getByRole('region', {name: 'Keterangan dokumen'});
		for (const [k, val] of [['Jenis dokumen', DOC.type], ['Tahap', /pelaksanaan/i], ['Sumber', 'Pindaian'],
			['Dipindai oleh', DOC.scannedBy], ['Tanggal pindai', '24 Nov 2026'], ['Pemindai', DOC.device],
			['Jumlah halaman', DOC.pages]]) {
			await factIs(facts, k, val);
		}
		s.assertClean('filed');
	});

	step('the viewer shows the OCR running to its end, then offers the searchable PDF', async () => {
		// Still the page the filing led to: the officer watches it, without reloading.
		const s = await as('persidangan');
		const page = s.page;
		const jobs = page.getByRole('table', {name: `Pemrosesan dokumen ${DOC.title}`});
		const jobRow = (kind) => jobs.getByRole('row').filter({has: page.getByRole('cell', {name: kind, exact: true})});
		// Found by extract_text to have no text, the scan's pages are queued for OCR; the card
		// refreshes itself (every 5 s) while anything is queued or running.
		await jobRow('OCR (pengenalan teks)').waitFor({timeout: OCR_WAIT_MS});
		const ocrBusy = await jobRow('OCR (pengenalan teks)').getByText(/^(antre|berjalan)$/).count();
		const started = Date.now();
		for (const kind of ['Pemeriksaan keutuhan berkas', 'Ekstraksi teks', 'OCR (pengenalan teks)', 'Gambar mini']) {
			await jobRow(kind).getByText('selesai', {exact: true}).waitFor({timeout: OCR_WAIT_MS});
		}
		note(`jobs done ${Date.now() - started} ms after this step began (OCR ${ocrBusy ? 'still busy' : 'done'} then); `
			+ `the searchable PDF ${offeredAtFirst ? 'was offered when the viewer first showed' : 'came while the viewer was open'}`);
		await waitFor(async () => !(await page.getByText('Diperbarui otomatis setiap 5 detik').isVisible()),
			'the auto-refresh note to go');
		await assertLiteral(jobRow('OCR (pengenalan teks)'), '100%', 'OCR progress');

		// The searchable PDF, offered without reloading the page.
		const link = page.getByRole('link', {name: `Unduh PDF dapat dicari dari ${DOC.title}`, exact: true});
		await link.waitFor();
		assert.equal(await link.textContent(), 'Unduh PDF dapat dicari');
		const href = await link.getAttribute('href');
		assert.match(href, new RegExp(`^/api/documents/${documentId}/derived/searchable_pdf\\b`));
		const res = await fetchInPage(page, href);
		assert.equal(res.status, 200);
		assert.equal(res.type, 'application/pdf');
		assert.equal(res.head, '%PDF-');
		assert.match(res.disposition, /^attachment;.*-ocr\.pdf/);

		// Clicking it downloads the scan with its text layer: both pages' words are text.
		const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
		const file = path.join(scanDir, 'downloaded-ocr.pdf');
		await download.saveAs(file);
		assert.match(download.suggestedFilename(), /-ocr\.pdf$/);
		const text = execFileSync('mutool', ['draw', '-q', '-F', 'txt', file], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']}).toLowerCase();
		for (const w of ['zukaribami', 'pidasulaka', WORD, 'bunalisaru']) assert.ok(text.includes(w), `"${w}" in the OCR text: ${text}`);
		s.assertClean('viewer');

		// The tray is empty again.
		await page.getByRole('navigation', {name: 'Menu utama'}).getByRole('link', {name: 'Berkas Masuk', exact: true}).click();
		await page.getByRole('heading', {level: 1, name: 'Berkas Masuk'}).waitFor();
		await page.getByText('Tidak ada berkas yang menunggu.').waitFor();
		await page.goBack();
		await page.getByRole('heading', {level: 1, name: DOC.title, exact: true}).waitFor();
		await s.settled();
		s.assertClean('tray after filing');
	});

	step('the dossier lists the document with its thumbnail', async () => {
		const s = await as('persidangan');
		const page = s.page;
		await page.getByRole('navigation', {name: 'Jejak navigasi'}).getByRole('link', {name: MEETING.title, exact: true}).click();
		await page.getByRole('heading', {level: 1, name: MEETING.title, exact: true}).waitFor();
		await s.settled();
		await page.getByRole('tab', {name: 'Pelaksanaan (1)'}).click();
		const panel = page.getByRole('tabpanel', {name: /Pelaksanaan/});
		const row = panel.getByRole('row').filter({hasText: DOC.title});
		await row.getByText('Pindaian', {exact: true}).waitFor();
		const thumb = row.locator('img.doc-thumb');
		await thumb.scrollIntoViewIfNeeded();
		await waitFor(() => thumb.evaluate((img) => img.complete && img.naturalWidth > 0), 'the thumbnail to load');
		const dims = await thumb.evaluate((img) => ({w: img.naturalWidth, h: img.naturalHeight, alt: img.getAttribute('alt'),
			src: img.getAttribute('src')}));
		assert.equal(dims.w, 240, 'thumbnails are 240 px wide');
		assert.ok(dims.h > 300 && dims.h <= 400, `an A4 page's height at 240 px wide: ${dims.h}`);
		assert.equal(dims.alt, '', 'decorative: the title beside it says what it is');
		assert.match(dims.src, new RegExp(`^/api/documents/${documentId}/derived/thumbnail\\b`));
		s.assertClean('dossier');
	});

	step('the search finds the document by a word of page 2, marked in the snippet', async () => {
		const s = await as('persidangan');
		const page = s.page;
		const hits = await search(s, WORD);
		await page.getByRole('status').filter({hasText: '1 dokumen ditemukan'}).waitFor();
		assert.equal(await hits.count(), 1);
		const hit = hits.first();
		await hit.getByRole('link', {name: DOC.title, exact: true}).waitFor();
		await hit.getByText(MEETING.title, {exact: true}).waitFor();
		const snippet = await hit.locator('.search-snippet').evaluate((p) => ({
			nodes: Array.from(p.childNodes).map((n) => (n.nodeType === Node.TEXT_NODE ? '#text' : n.nodeName)),
			marks: Array.from(p.querySelectorAll('mark')).map((m) => ({text: m.textContent, children: m.children.length})),
			elements: p.querySelectorAll('*').length,
			text: p.textContent,
		}));
		assert.ok(snippet.nodes.every((n) => n === '#text' || n === 'MARK'), `snippet nodes: ${snippet.nodes}`);
		assert.equal(snippet.elements, snippet.marks.length, 'no element in the snippet but the marks');
		assert.ok(snippet.marks.length >= 1, `a mark in "${snippet.text}"`);
		assert.ok(snippet.marks.every((m) => m.text.toLowerCase() === WORD && m.children === 0),
			`the marks are the word: ${JSON.stringify(snippet.marks)}`);
		assert.ok(snippet.text.toLowerCase().includes('bunalisaru'), `page 2's text in the snippet: ${snippet.text}`);
		await assertNoInjectedMarkup(page, 'search');

		// The hit opens the viewer.
		await screenshot(page, 'search');
		await hit.getByRole('link', {name: DOC.title, exact: true}).click();
		await page.getByRole('heading', {level: 1, name: DOC.title, exact: true}).waitFor();
		assert.match(page.url(), new RegExp(`#/documents/${documentId}$`));
		await s.settled();
		s.assertClean('search');
	});

	step('a PIC with no grants finds nothing', async () => {
		const s = await as('pic1');
		const page = s.page;
		const hits = await search(s, WORD);
		await page.getByRole('status').filter({hasText: '0 dokumen ditemukan'}).waitFor();
		await page.getByText('Tidak ada dokumen yang cocok dengan pencarian ini.').waitFor();
		assert.equal(await hits.count(), 0);
		assert.equal(await page.getByText(DOC.title).count(), 0);
		assert.equal(await page.locator('main mark').count(), 0);
		s.assertClean('pic1 search');
	});

	step('no dialog, no console error, no CSP violation', async () => {
		for (const s of Object.values(walk.sessions)) {
			s.assertClean('whole test');
			assert.deepEqual(s.dialogsSeen, []);
		}
	});
});

// The search page from the header, WORDS typed into its field and sent; the list of hits.
async function search(s, words) {
	const page = s.page;
	await page.getByRole('navigation', {name: 'Menu utama'}).getByRole('link', {name: 'Cari', exact: true}).click();
	await page.getByRole('heading', {level: 1, name: 'Cari dokumen'}).waitFor();
	const form = page.getByRole('search', {name: 'Cari dokumen'});
	await form.getByRole('searchbox', {name: 'Kata pencarian', exact: true}).fill(words);
	await form.getByRole('button', {name: 'Cari', exact: true}).click();
	await page.getByRole('status').filter({hasText: /dokumen ditemukan/}).waitFor();
	await s.settled();
	return page.locator('main .search-results li.search-hit');
}

// The fact KEY of a facts list shows VALUE (a string, exactly, or a RegExp).
async function factIs(facts, key, value) {
	const dd = facts.locator('dl.facts > div').filter({has: facts.page().locator('dt', {hasText: new RegExp(`^${key}$`)})}).locator('dd');
	await waitFor(async () => {
		const got = (await dd.first().textContent()).trim();
		return value instanceof RegExp ? value.test(got) : got === value;
	}, `fact "${key}" to be ${value}`);
}

// GET URL from the page (its cookies, same origin): status, type, disposition, size, first bytes.
function fetchInPage(page, url) {
	return page.evaluate(async (u) => {
		const r = await fetch(u, {credentials: 'same-origin'});
		const b = new Uint8Array(await r.arrayBuffer());
		return {
			status: r.status,
			type: (r.headers.get('content-type') || '').split(';')[0],
			disposition: r.headers.get('content-disposition') || '',
			size: b.length,
			head: String.fromCharCode(...b.slice(0, 5)),
		};
	}, url);
}

// A scanned PDF: PAGES (lines of text each) set in Times 16 pt by `mutool create`, drawn at
// 300 dpi grey, and the pictures put back into a PDF (no text in it). As
// tests/integration/test_ocr.py makes them.
function scannedPdf(dir, pages) {
	try {
		execFileSync('mutool', ['-v'], {stdio: 'ignore'});
	} catch (e) {
		if (e.code === 'ENOENT') throw new Error('mutool is not installed (Debian: mupdf-tools; `make test` installs it)');
	}
	const mutool = (...args) => execFileSync('mutool', args, {cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60000});
	const files = pages.map((lines, i) => {
		let body = '%%MediaBox 0 0 595 842\n%%Font F1 Times-Roman\n';
		lines.forEach((line, j) => { body += `BT /F1 16 Tf 72 ${760 - 28 * j} Td (${line}) Tj ET\n`; });
		const f = `page${i}.txt`;
		fs.writeFileSync(path.join(dir, f), body);
		return f;
	});
	mutool('create', '-o', 'born.pdf', ...files);
	mutool('draw', '-q', '-r', '300', '-c', 'gray', '-o', 'p%d.png', 'born.pdf');
	const pngs = pages.map((_, i) => `p${i + 1}.png`);
	mutool('convert', '-O', 'compress', '-o', 'scan.pdf', ...pngs);
	return fs.readFileSync(path.join(dir, 'scan.pdf'));
}
