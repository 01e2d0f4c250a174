// The seed SOP's "not approved" branch through the web UI: the dossier is compiled (step 1) and
// checked (step 2); at step 3 the Karo answers "Tidak". The form warns at once that the dossier
// stays internal and asks for confirmation before sending (cancelling sends nothing); once sent,
// the case is closed as "Disimpan internal", no step 4 reaches the Kabag, the documents stay
// internal, and no PIC sees anything.

import {describe, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {
	Walk, startServer, launchBrowser, assertLiteral, assertNoInjectedMarkup, pdfFile, note,
} from './lib.mjs';

const TITLE = 'Rapat Evaluasi Anggaran <img src=x onerror=alert(2)>';
const FILE = pdfFile('notulensi-evaluasi.pdf');
const TIMEOUT = 200000;

describe('seed SOP, step 3 answered "Tidak" (kept internal)', {timeout: TIMEOUT}, () => {
	let server;
	let browser;
	const walk = new Walk();
	let meetingId = null;
	const step = (name, fn) => walk.step(name, fn);
	const as = (name) => walk.as(name);

	async function openTask(s, n) {
		const page = s.page;
		await s.inbox();
		const link = page.getByRole('link', {name: `Langkah ${n} — ${TITLE}`, exact: true});
		await link.click();
		await page.getByRole('heading', {level: 1, name: `Tugas langkah ${n}`}).waitFor();
		await s.settled();
		await assertNoInjectedMarkup(page, `task ${n}`);
		return page.getByRole('form', {name: 'Pelaksanaan langkah'});
	}

	async function done(s, n) {
		await s.page.getByRole('status').filter({hasText: `Langkah ${n} untuk rapat "${TITLE}" telah diselesaikan.`}).waitFor();
		s.assertClean(`step ${n}`);
	}

	before(async () => {
		server = await startServer();
		browser = await launchBrowser();
		walk.server = server;
		walk.browser = browser;
		note(`server ${server.url}, chromium ${browser.version()}`);
	});

	after(async () => {
		await walk.close('reject');
		if (browser) await browser.close();
		if (server) await server.stop();
	});

	step('steps 1 and 2: a meeting with one document, compiled and checked', async () => {
		let s = await as('persidangan');
		const page = s.page;
		await page.getByRole('link', {name: 'Rapat', exact: true}).click();
		await page.getByRole('button', {name: 'Rapat baru'}).click();
		const form = page.getByRole('region', {name: 'Rapat baru'});
		await form.getByLabel('Judul rapat').fill(TITLE);
		await form.getByLabel('Tanggal').fill('2026-11-18');
		await form.getByRole('button', {name: 'Buat rapat'}).click();
		await page.getByRole('heading', {level: 1, name: TITLE, exact: true}).waitFor();
		meetingId = Number(/#\/meetings\/(\d+)/.exec(page.url())[1]);

		await page.getByRole('tab', {name: /Pelaksanaan/}).click();
		const panel = page.getByRole('tabpanel', {name: /Pelaksanaan/});
		await panel.getByLabel('Pilih berkas…').setInputFiles([FILE]);
		await panel.getByLabel('Jenis dokumen').selectOption({label: 'Notulensi'});
		await panel.getByRole('button', {name: 'Unggah', exact: true}).click();
		await panel.getByRole('progressbar', {name: FILE.name, exact: true}).waitFor();
		await panel.getByText('1 berkas berhasil diunggah.').waitFor();

		let task = await openTask(s, 1);
		await task.getByRole('button', {name: /^Serahkan/}).click();
		await done(s, 1);

		s = await as('kasubbag');
		task = await openTask(s, 2);
		await task.getByRole('button', {name: 'Centang semua yang ada'}).click();
		assert.equal(await task.getByRole('group', {name: /Tahap pelaksanaan/}).getByLabel('Notulensi').isChecked(), true);
		await task.getByRole('button', {name: /^Laporkan ke /}).click();
		await done(s, 2);
	});

	step('step 3: the Karo answers "Tidak", is warned, cancels once, then confirms', async () => {
		const s = await as('karo');
		const page = s.page;
		const task = await openTask(s, 3);
		const no = task.getByLabel('Tidak', {exact: true});
		// The answer that keeps the dossier internal says so beside it, and again once chosen.
		assert.match(await no.getAttribute('aria-describedby'), /-hint$/);
		await task.getByText('Berkas disimpan sebagai dokumen internal.').waitFor();
		await no.check();
		await task.getByRole('status').filter({hasText: 'Dokumen akan disimpan sebagai dokumen internal dan tidak akan diunggah.'}).waitFor();
		await task.getByLabel('Alasan').fill('Rapat bersifat internal; dokumen tidak diunggah.');

		// Cancelling the confirmation sends nothing: the task stays open on its page.
		const cancel = s.expectConfirm(/Dokumen akan disimpan sebagai dokumen internal dan tidak akan diunggah/, {accept: false});
		await task.getByRole('button', {name: 'Simpan keputusan'}).click();
		await waitSeen(cancel);
		await page.getByRole('heading', {level: 1, name: 'Tugas langkah 3'}).waitFor();
		assert.equal(await page.getByText('telah diselesaikan').count(), 0);
		assert.equal(await task.getByRole('button', {name: 'Simpan keputusan'}).isEnabled(), true);

		const ok = s.expectConfirm(/kasus SOP ini ditutup dan tidak dapat dimulai lagi/);
		await task.getByRole('button', {name: 'Simpan keputusan'}).click();
		await waitSeen(ok);
		await done(s, 3);
		await page.getByText('Tidak ada tugas yang menunggu Anda.').waitFor();
	});

	step('the case shows "Disimpan internal", the documents stay internal', async () => {
		const s = await as('karo');
		const page = s.page;
		await s.go(`#/meetings/${meetingId}`);
		await page.getByRole('heading', {level: 1, name: TITLE, exact: true}).waitFor();
		const history = page.getByRole('region', {name: 'Riwayat SOP'});
		await history.getByText('Disimpan internal', {exact: true}).waitFor();
		await history.getByText('Unggahan tidak disetujui: dokumen rapat ini disimpan sebagai dokumen internal dan tidak diunggah.').waitFor();
		// Step 3's row: answered "Tidak"; no step 4 was made; no new round offered.
		const tasks = history.getByRole('table', {name: 'Tugas per langkah'});
		const row3 = tasks.getByRole('row').filter({has: page.getByRole('cell', {name: '3', exact: true})});
		await row3.getByRole('cell', {name: 'Tidak', exact: true}).waitFor();
		assert.equal(await tasks.getByRole('row').count(), 4, 'header and steps 1–3 only');
		assert.equal(await history.getByRole('button', {name: /Mulai/}).count(), 0);
		await history.getByText('Rapat bersifat internal; dokumen tidak diunggah.').waitFor();
		await page.getByRole('tab', {name: 'Pelaksanaan (1)'}).click();
		await page.getByRole('tabpanel', {name: /Pelaksanaan/}).getByText('Internal', {exact: true}).waitFor();
		await assertLiteral(page, TITLE, 'meeting page');
		s.assertClean('case history');

		const kabag = await as('kabag');
		await kabag.inbox();
		await kabag.page.getByText('Tidak ada tugas yang menunggu Anda.').waitFor();
		kabag.assertClean('kabag inbox');
	});

	step('no PIC sees the meeting', async () => {
		for (const name of ['pic1', 'pic2']) {
			const s = await as(name);
			const page = s.page;
			await page.getByRole('heading', {level: 1, name: 'Daftar Rapat'}).waitFor();
			await page.getByText('Tidak ada rapat yang dapat ditampilkan.').waitFor();
			assert.equal(await page.getByRole('table').count(), 0);
			await s.go(`#/meetings/${meetingId}`);
			await page.getByRole('heading', {level: 1, name: 'Rapat tidak ditemukan'}).waitFor();
			assert.equal(await page.getByText('Evaluasi').count(), 0);
			s.assertClean(name);
		}
	});

	step('no dialog other than the two confirmations, no console error, no CSP violation', async () => {
		for (const s of Object.values(walk.sessions)) s.assertClean('whole test');
		const karo = walk.sessions.karo.dialogsSeen;
		assert.equal(karo.length, 2, JSON.stringify(karo));
		assert.ok(karo.every((d) => d.type === 'confirm'));
		for (const s of Object.values(walk.sessions)) if (s !== walk.sessions.karo) assert.deepEqual(s.dialogsSeen, []);
	});
});

async function waitSeen(expectation) {
	const deadline = Date.now() + 10000;
	while (!expectation.seen) {
		if (Date.now() > deadline) throw new Error(`no confirmation dialog matching ${expectation.re}`);
		await new Promise((r) => setTimeout(r, 50));
	}
}
