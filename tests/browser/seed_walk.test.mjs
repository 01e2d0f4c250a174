// The seed SOP "Pemilihan dan Pengunggahan Data" walked through the web UI alone, by the five
// officials in turn, each step taken from the inbox (open the task, fill its form, send it):
//   1 Pengelola Persidangan creates the meeting, uploads the dossier (file picker and drop zone,
//     a progress bar per file), hands it over;  2 Kasubbag ticks the checklist;  3 Karo: ACC;
//   4 Kabag: disposition;  5 Kasubbag: disposition to one named person;  6 Pengelola Persidangan
//   publishes the planning stage with PIC ticks;  7 Pengelola Naskah publishes the other stages
//   and reports;  8 Kabag reports;  9 Karo verifies each document.
// Then pic1 sees exactly the documents granted to them (and can open one), pic2 sees nothing.
// The meeting's title and one file name carry HTML: every page that lists them must show them as
// text, and no script may run (no dialog, no console error, no CSP violation).
// Screenshots: inbox, dossier, SOP page (when the route exists), compliance; inbox and dossier at
// phone width.

import {describe, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {
	Walk, startServer, launchBrowser, screenshot, assertLiteral, assertNoInjectedMarkup, waitFor,
	dropFiles, pdfFile, user, note, HOSTILE_TITLE, HOSTILE_FILE, DESKTOP, PHONE,
} from './lib.mjs';

const MEETING = {
	title: HOSTILE_TITLE,
	number: 'UND-123/HPH/11/2026',
	date: '2026-11-20',
	place: 'Ruang Rapat Lt. 3',
	chair: 'Deputi Bidang Koordinasi Hukum',
};

// The dossier. Titles are the file names (several files per upload keep their own names).
const FILES = {
	undangan: pdfFile('undangan-rapat.pdf'),
	hostile: pdfFile(HOSTILE_FILE),
	notaDinas: pdfFile('nota-dinas-rahasia.pdf'),
	daftarHadir: pdfFile('daftar-hadir.pdf', null, 256 * 1024),
	notulensi: pdfFile('notulensi.pdf'),
	risalah: pdfFile('risalah-rapat.pdf'),
};
// Who gets what at steps 6 and 7: pic1 three documents (one of them rahasia), pic2 none.
const GRANTED_PIC1 = [HOSTILE_FILE, 'nota-dinas-rahasia.pdf', 'risalah-rapat.pdf'];
const NOT_GRANTED = ['undangan-rapat.pdf', 'daftar-hadir.pdf', 'notulensi.pdf'];

const TIMEOUT = 280000;

describe('seed SOP through the UI', {timeout: TIMEOUT}, () => {
	let server;
	let browser;
	const walk = new Walk();
	const as = (name) => walk.as(name);
	let meetingId = null;

	// From the inbox: the card of step N of our meeting, its link, and the task page.
	async function openTask(s, n) {
		const page = s.page;
		await s.inbox();
		const link = page.getByRole('link', {name: `Langkah ${n} — ${MEETING.title}`, exact: true});
		await link.waitFor();
		await assertLiteral(page, `Langkah ${n} — ${MEETING.title}`, `inbox of ${s.username}`);
		await link.click();
		await page.getByRole('heading', {level: 1, name: `Tugas langkah ${n}`}).waitFor();
		await s.settled();
		// The facts card links the meeting by its title, as text.
		await page.getByRole('link', {name: MEETING.title, exact: true}).waitFor();
		await assertNoInjectedMarkup(page, `task ${n} of ${s.username}`);
		return page.getByRole('form', {name: 'Pelaksanaan langkah'});
	}

	// Sends the task form and waits for the inbox's confirmation.
	async function submitTask(s, form, n, buttonName) {
		await form.getByRole('button', {name: buttonName}).click();
		const flash = `Langkah ${n} untuk rapat "${MEETING.title}" telah diselesaikan.`;
		await s.page.getByRole('status').filter({hasText: flash}).waitFor();
		await assertLiteral(s.page, flash, `confirmation of step ${n}`);
		await s.page.getByRole('heading', {level: 1, name: 'Kotak Masuk Tugas'}).waitFor();
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
		await walk.close('seed');
		if (browser) await browser.close();
		if (server) await server.stop();
	});

	const inOrder = (name, fn) => walk.step(name, fn);

	inOrder('step 1: the Pengelola Persidangan creates the meeting and uploads the dossier', async () => {
		const s = await as('persidangan');
		const page = s.page;
		await page.getByRole('link', {name: 'Rapat', exact: true}).click();
		await page.getByRole('heading', {level: 1, name: 'Daftar Rapat'}).waitFor();
		await page.getByRole('button', {name: 'Rapat baru'}).click();
		const form = page.getByRole('region', {name: 'Rapat baru'});
		await form.getByLabel('Judul rapat').fill(MEETING.title);
		await form.getByLabel('Nomor').fill(MEETING.number);
		await form.getByLabel('Tanggal').fill(MEETING.date);
		await form.getByLabel('Tempat').fill(MEETING.place);
		await form.getByLabel('Pimpinan rapat').fill(MEETING.chair);
		await form.getByLabel('Klasifikasi keamanan').selectOption({label: 'Biasa'});
		await form.getByRole('button', {name: 'Buat rapat'}).click();

		// The meeting page, its heading the title as typed.
		await page.getByRole('heading', {level: 1, name: MEETING.title, exact: true}).waitFor();
		await assertLiteral(page, `Rapat "${MEETING.title}" telah dibuat.`, 'flash after creating');
		meetingId = Number(/#\/meetings\/(\d+)/.exec(page.url())[1]);
		assert.ok(meetingId > 0);

		// Perencanaan: two files through the file picker (one named like an <img> tag), one type.
		const plan = page.getByRole('tabpanel', {name: /Perencanaan/});
		await plan.getByLabel('Pilih berkas…').setInputFiles([FILES.undangan, FILES.hostile]);
		await assertLiteral(plan.getByRole('list', {name: 'Berkas terpilih'}), HOSTILE_FILE, 'list of chosen files');
		await plan.getByLabel('Jenis dokumen').selectOption({label: 'Undangan'});
		await plan.getByRole('button', {name: 'Unggah', exact: true}).click();
		await uploaded(plan, [FILES.undangan.name, FILES.hostile.name]);

		// Perencanaan: a scanned rahasia memo dropped onto the drop zone, with its alih-media facts.
		await dropFiles(page, plan.locator('.dropzone'), [FILES.notaDinas]);
		await plan.getByRole('list', {name: 'Berkas terpilih'}).getByText(FILES.notaDinas.name).waitFor();
		await plan.getByLabel('Jenis dokumen').selectOption({label: 'Nota dinas'});
		await plan.getByRole('combobox', {name: 'Klasifikasi', exact: true}).selectOption({label: 'Rahasia'});
		await plan.getByLabel('Pindaian').check();
		await plan.getByLabel('Perangkat pemindai').fill('Fujitsu fi-7160');
		await plan.getByLabel(`Jumlah halaman ${FILES.notaDinas.name}`).fill('3');
		await plan.getByRole('button', {name: 'Unggah', exact: true}).click();
		await uploaded(plan, [FILES.notaDinas.name]);

		// Pelaksanaan: two files dropped at once (one of 256 KiB), one type each time.
		await page.getByRole('tab', {name: /Pelaksanaan/}).click();
		const exec = page.getByRole('tabpanel', {name: /Pelaksanaan/});
		await dropFiles(page, exec.locator('.dropzone'), [FILES.daftarHadir]);
		await exec.getByLabel('Jenis dokumen').selectOption({label: 'Daftar hadir'});
		await exec.getByRole('button', {name: 'Unggah', exact: true}).click();
		await uploaded(exec, [FILES.daftarHadir.name]);
		await exec.getByLabel('Pilih berkas…').setInputFiles([FILES.notulensi]);
		await exec.getByLabel('Jenis dokumen').selectOption({label: 'Notulensi'});
		await exec.getByRole('button', {name: 'Unggah', exact: true}).click();
		await uploaded(exec, [FILES.notulensi.name]);

		// Pelaporan: one file through the picker.
		await page.getByRole('tab', {name: /Pelaporan/}).click();
		const rep = page.getByRole('tabpanel', {name: /Pelaporan/});
		await rep.getByLabel('Pilih berkas…').setInputFiles([FILES.risalah]);
		await rep.getByLabel('Jenis dokumen').selectOption({label: 'Risalah'});
		await rep.getByRole('button', {name: 'Unggah', exact: true}).click();
		await uploaded(rep, [FILES.risalah.name]);

		// The documents are listed per stage, the hostile name as text.
		await page.getByRole('tab', {name: 'Perencanaan (3)'}).click();
		await assertLiteral(plan.getByRole('table'), HOSTILE_FILE, 'documents of the meeting page');
		await page.getByRole('tab', {name: 'Pelaksanaan (2)'}).waitFor();
		await page.getByRole('tab', {name: 'Pelaporan (1)'}).waitFor();

		// The meeting list shows the title as text.
		await page.getByRole('link', {name: 'Rapat', exact: true}).click();
		await page.getByRole('heading', {level: 1, name: 'Daftar Rapat'}).waitFor();
		await page.getByRole('link', {name: MEETING.title, exact: true}).waitFor();
		await assertLiteral(page, MEETING.title, 'meeting list');

		// The step from the inbox: the dossier's documents are listed, then handed over.
		const task = await openTask(s, 1);
		const docs = task.getByRole('table', {name: 'Dokumen dalam berkas (6)'});
		await docs.waitFor();
		await assertLiteral(docs, HOSTILE_FILE, 'task 1 documents');
		await task.getByLabel('Catatan').fill('Dokumen rapat telah dialihmediakan dan dihimpun.');
		await submitTask(s, task, 1, /^Serahkan ke /);
	});

	inOrder('step 2: the Kasubbag ticks the checklist', async () => {
		const s = await as('kasubbag');
		const task = await openTask(s, 2);
		const plan = task.getByRole('group', {name: /Tahap perencanaan/});
		await plan.getByLabel('Undangan').check();
		await plan.getByLabel('Nota dinas').check();
		// A type the dossier lacks cannot be ticked, and says so.
		const agenda = plan.getByLabel('Agenda', {exact: true});
		assert.equal(await agenda.isDisabled(), true, 'a missing type must be disabled');
		assert.match(await agenda.getAttribute('aria-describedby'), /-why$/);
		const exec = task.getByRole('group', {name: /Tahap pelaksanaan/});
		await exec.getByLabel('Daftar hadir').check();
		await exec.getByLabel('Notulensi').check();
		await task.getByRole('group', {name: /Tahap pelaporan/}).getByLabel('Risalah').check();
		await task.getByLabel('Catatan').fill('Sebagian jenis dokumen belum ada; yang ada sudah diperiksa.');
		await submitTask(s, task, 2, /^Laporkan ke /);
	});

	inOrder('step 3: the Karo approves (ACC) with a reason', async () => {
		const s = await as('karo');
		const task = await openTask(s, 3);
		// The check result came in as a report.
		await s.page.getByRole('region', {name: 'Masukan dari langkah sebelumnya'}).waitFor();
		await task.getByLabel('Ya (ACC)').check();
		await task.getByLabel('Alasan').fill('Rapat telah dilaksanakan; dokumen layak diunggah.');
		await submitTask(s, task, 3, 'Simpan keputusan');
	});

	inOrder('step 4: the Kabag gives a disposition', async () => {
		const s = await as('kabag');
		const task = await openTask(s, 4);
		await task.getByLabel('Isi disposisi').fill('Mohon lengkapi dokumen tahap perencanaan.\nSegera.');
		await submitTask(s, task, 4, 'Kirim disposisi');
	});

	inOrder('step 5: the Kasubbag gives a disposition to one named person', async () => {
		const s = await as('kasubbag');
		const task = await openTask(s, 5);
		// The Kabag's disposition is shown with its line breaks.
		await s.page.getByText('Mohon lengkapi dokumen tahap perencanaan.').first().waitFor();
		await task.getByLabel('Isi disposisi').fill('Unggah dokumen tahap perencanaan dan beri hak akses PIC.');
		await task.getByLabel('Kepada').selectOption({label: `${user('persidangan').display} (persidangan)`});
		await submitTask(s, task, 5, 'Kirim disposisi');
	});

	inOrder('the SOP page shows the case on its way (step 6 next)', async (t) => {
		const s = await as('kasubbag');
		const page = s.page;
		await s.go(`#/meetings/${meetingId}/sop`);
		// Without its own route, #/meetings/{id}/sop falls back to the meeting page, which puts a
		// stage in the address instead of "sop".
		const hash = await page.evaluate(() => location.hash);
		if (!hash.endsWith('/sop')) {
			note(`the route #/meetings/{id}/sop is not in this build (it showed ${hash}); SOP screenshot skipped`);
			t.skip('route #/meetings/{id}/sop not in this build yet');
			return;
		}
		await assertLiteral(page.getByRole('heading', {level: 1}), MEETING.title, 'SOP page');
		await screenshot(page, 'sop');
		s.assertClean('SOP page');
	});

	inOrder('step 6: the Pengelola Persidangan publishes the planning stage with PIC ticks', async () => {
		const s = await as('persidangan');
		const page = s.page;
		await s.inbox();
		// The inbox card quotes the disposition.
		await page.getByText('Unggah dokumen tahap perencanaan dan beri hak akses PIC.').waitFor();
		await page.setViewportSize(DESKTOP);
		await screenshot(page, 'inbox');
		await page.setViewportSize(PHONE);
		await screenshot(page, 'inbox-phone');
		await page.setViewportSize(DESKTOP);

		const task = await openTask(s, 6);
		const pic1 = user('pic1');
		const pic2 = user('pic2');
		const doc = (title) => task.getByRole('group', {name: title, exact: true});
		// pic2 (Biasa) cannot be given the rahasia memo: listed, disabled, with the reason.
		const memo = doc('nota-dinas-rahasia.pdf');
		const pic2box = memo.getByRole('checkbox', {name: new RegExp(pic2.display)});
		await pic2box.waitFor();
		assert.equal(await pic2box.isDisabled(), true, 'pic2 must not be tickable for a rahasia document');
		await memo.getByText('Izin akses (Biasa) di bawah klasifikasi dokumen (Rahasia)').waitFor();
		// pic1 on the memo (found by searching) and on the hostile-named file; nobody on the invitation.
		await memo.getByRole('searchbox').fill(pic1.unit);
		await memo.getByRole('checkbox', {name: new RegExp(pic1.display)}).check();
		await doc(HOSTILE_FILE).getByRole('checkbox', {name: new RegExp(pic1.display)}).check();
		await assertLiteral(doc(HOSTILE_FILE), HOSTILE_FILE, 'publish form');
		await doc(HOSTILE_FILE).getByText(`1 PIC dicentang: ${pic1.display}.`).waitFor();
		// A document without a PIC is asked about first.
		s.expectConfirm(/belum memiliki PIC: undangan-rapat\.pdf/);
		await submitTask(s, task, 6, /^Unggah/);
	});

	inOrder('step 7: the Pengelola Naskah publishes the other stages and reports', async () => {
		const s = await as('naskah');
		const task = await openTask(s, 7);
		const pic1 = user('pic1');
		await task.getByRole('group', {name: 'risalah-rapat.pdf', exact: true})
			.getByRole('checkbox', {name: new RegExp(pic1.display)}).check();
		// The generated summary lists what step 6 published.
		await s.page.getByRole('heading', {name: 'Ringkasan pengunggahan'}).waitFor();
		await task.getByLabel('Laporan Anda').fill('Dokumen tahap pelaksanaan dan pelaporan telah diunggah.');
		s.expectConfirm(/belum memiliki PIC: daftar-hadir\.pdf; notulensi\.pdf/);
		await submitTask(s, task, 7, /^Unggah dan /);
	});

	inOrder('step 8: the Kabag reports to the Karo', async () => {
		const s = await as('kabag');
		const task = await openTask(s, 8);
		// Kelengkapan: the records officer's report is there.
		await s.page.getByRole('region', {name: 'Mutu Baku'}).getByText('Laporan Pengelola Naskah').waitFor();
		await task.getByLabel('Laporan Anda').fill('Pengunggahan dokumen persidangan telah selesai dilaksanakan.');
		await submitTask(s, task, 8, /^Kirim laporan/);
	});

	inOrder('step 9: the Karo verifies each document', async () => {
		const s = await as('karo');
		const task = await openTask(s, 9);
		const page = s.page;
		const titles = ['undangan-rapat.pdf', HOSTILE_FILE, 'nota-dinas-rahasia.pdf', 'daftar-hadir.pdf', 'notulensi.pdf', 'risalah-rapat.pdf'];
		for (const title of titles) {
			const g = task.getByRole('group', {name: title, exact: true});
			await g.getByLabel('Sesuai').check();
		}
		await assertLiteral(task.getByRole('group', {name: HOSTILE_FILE, exact: true}), HOSTILE_FILE, 'verify form');
		// Opening a document marks it opened; the download is the stored bytes.
		const g = task.getByRole('group', {name: HOSTILE_FILE, exact: true});
		const [download] = await Promise.all([page.waitForEvent('download'),
			g.getByRole('link', {name: `Unduh ${HOSTILE_FILE}`}).click()]);
		assert.equal(download.suggestedFilename().endsWith('.pdf'), true);
		assert.deepEqual(await readDownload(download), FILES.hostile.buffer);
		await g.getByText('Sudah dibuka').waitFor();
		await submitTask(s, task, 9, 'Selesaikan verifikasi');

		// The case is closed, its history lists everything as text.
		await page.getByRole('link', {name: 'Rapat', exact: true}).click();
		await page.getByRole('link', {name: MEETING.title, exact: true}).click();
		await page.getByRole('heading', {level: 1, name: MEETING.title, exact: true}).waitFor();
		const history = page.getByRole('region', {name: 'Riwayat SOP'});
		await history.getByText('Dokumen persidangan telah diunggah dan diverifikasi.').waitFor();
		await history.getByText('Selesai', {exact: true}).first().waitFor();
		await assertLiteral(history, HOSTILE_FILE, 'case history');
		await page.getByRole('tab', {name: 'Perencanaan (3)'}).waitFor();
		await page.getByRole('tabpanel', {name: /Perencanaan/}).getByText('Terverifikasi').first().waitFor();
		await screenshot(page, 'dossier');
		await page.setViewportSize(PHONE);
		await screenshot(page, 'dossier-phone');
		await page.setViewportSize(DESKTOP);
		s.assertClean('after the walk');
	});

	inOrder('the compliance dashboard (as the Karo)', async () => {
		const s = await as('karo');
		const page = s.page;
		await page.getByRole('link', {name: 'Kepatuhan Mutu Baku'}).click();
		await page.getByRole('heading', {level: 1, name: 'Kepatuhan Mutu Baku'}).waitFor();
		await s.settled();
		await page.getByRole('heading', {name: 'Per langkah'}).waitFor();
		await page.getByRole('heading', {name: 'Per kasus'}).waitFor();
		await assertLiteral(page.getByRole('table', {name: 'Per kasus'}), MEETING.title, 'compliance per case');
		await screenshot(page, 'compliance');
		s.assertClean('compliance');
	});

	inOrder('pic1 sees exactly the documents granted', async () => {
		const s = await as('pic1');
		const page = s.page;
		// A PIC has no inbox; the landing page is the meetings.
		await page.getByRole('heading', {level: 1, name: 'Daftar Rapat'}).waitFor();
		await page.getByText('Rapat yang memuat dokumen yang hak aksesnya diberikan kepada Anda.').waitFor();
		const row = page.getByRole('row').filter({has: page.getByRole('link', {name: MEETING.title, exact: true})});
		await row.waitFor();
		assert.equal(await page.getByRole('row').count(), 2, 'one meeting (and the header row)');
		await row.getByRole('cell', {name: '3', exact: true}).waitFor();
		await assertLiteral(page, MEETING.title, 'meeting list of pic1');
		await row.getByRole('link', {name: MEETING.title, exact: true}).click();
		await page.getByRole('heading', {level: 1, name: MEETING.title, exact: true}).waitFor();
		await s.settled();

		// Per stage, exactly the granted titles.
		const seen = [];
		for (const [tab, n] of [['Perencanaan', 2], ['Pelaksanaan', 0], ['Pelaporan', 1]]) {
			await page.getByRole('tab', {name: `${tab} (${n})`}).click();
			const panel = page.getByRole('tabpanel', {name: new RegExp(tab)});
			if (n === 0) {
				await panel.getByText(`Belum ada dokumen pada tahap ${tab.toLowerCase()}.`).waitFor();
				continue;
			}
			const titles = await panel.locator('.doc-title').allTextContents();
			assert.equal(titles.length, n, `${tab}: ${titles.join(', ')}`);
			seen.push(...titles);
			// No upload form and no new version for a PIC.
			assert.equal(await panel.getByRole('button', {name: 'Unggah', exact: true}).count(), 0);
			assert.equal(await panel.getByRole('button', {name: /^Unggah versi baru/}).count(), 0);
		}
		assert.deepEqual(seen.sort(), [...GRANTED_PIC1].sort());
		for (const title of NOT_GRANTED) assert.equal(await page.getByText(title).count(), 0, `${title} must not be listed`);
		await page.getByRole('tab', {name: 'Perencanaan (2)'}).click();
		await assertLiteral(page.getByRole('tabpanel', {name: /Perencanaan/}), HOSTILE_FILE, 'meeting page of pic1');
		// No SOP history for a PIC.
		assert.equal(await page.getByRole('region', {name: 'Riwayat SOP'}).count(), 0);

		// The content opens: the download is the bytes uploaded, and "Lihat" opens it inline.
		const [download] = await Promise.all([page.waitForEvent('download'),
			page.getByRole('link', {name: 'Unduh nota-dinas-rahasia.pdf'}).click()]);
		assert.deepEqual(await readDownload(download), FILES.notaDinas.buffer);
		// "Lihat" opens the document viewer: the title as text, the PDF in a frame of the page.
		const contentLoaded = page.waitForResponse((r) => /\/api\/documents\/\d+\/content\?(.*&)?inline=1/.test(r.url()));
		await page.getByRole('link', {name: `Lihat ${HOSTILE_FILE}`, exact: true}).click();
		await page.getByRole('heading', {level: 1, name: HOSTILE_FILE, exact: true}).waitFor();
		await assertLiteral(page.getByRole('heading', {level: 1}), HOSTILE_FILE, 'document viewer');
		const frame = page.locator(`iframe[title="Isi dokumen ${HOSTILE_FILE.replace(/"/g, '\\"')}"]`);
		const src = new URL(await frame.getAttribute('src'), page.url()).href;
		const loaded = await contentLoaded;
		assert.equal(loaded.url(), src);
		assert.equal(loaded.status(), 200);
		// What the frame is served, read again with pic1's session (chromium's PDF viewer takes the
		// body): the PDF itself, inline, sandboxed.
		const r = await s.context.request.get(src);
		assert.equal(r.status(), 200);
		assert.match(r.headers()['content-type'], /^application\/pdf/);
		assert.match(r.headers()['content-disposition'], /^inline/);
		assert.match(r.headers()['content-security-policy'], /sandbox/);
		assert.deepEqual(await r.body(), FILES.hostile.buffer);
		for (const p of s.context.pages()) if (p !== page) await p.close();
		s.assertClean('pic1');
	});

	inOrder('pic2 sees no meeting', async () => {
		const s = await as('pic2');
		const page = s.page;
		await page.getByRole('heading', {level: 1, name: 'Daftar Rapat'}).waitFor();
		await page.getByText('Tidak ada rapat yang dapat ditampilkan.').waitFor();
		assert.equal(await page.getByRole('table').count(), 0);
		assert.equal(await page.getByText('Koordinasi').count(), 0);
		// Not even by its address.
		await s.go(`#/meetings/${meetingId}`);
		await page.getByRole('heading', {level: 1, name: 'Rapat tidak ditemukan'}).waitFor();
		assert.equal(await page.getByText('Koordinasi').count(), 0);
		s.assertClean('pic2');
	});

	inOrder('no dialog, console error or CSP violation in any session', async () => {
		for (const s of Object.values(walk.sessions)) {
			s.assertClean('whole walk');
			const alerts = s.dialogsSeen.filter((d) => d.type !== 'confirm');
			assert.deepEqual(alerts, [], `${s.username} saw a non-confirm dialog`);
		}
	});
});

// Each file of NAMES got its own progress bar, full, and "Berhasil diunggah."; the batch summary
// says they all went.
async function uploaded(panel, names) {
	for (const name of names) {
		const bar = panel.getByRole('progressbar', {name, exact: true});
		await bar.waitFor();
		const item = panel.getByRole('listitem').filter({has: panel.page().getByRole('progressbar', {name, exact: true})});
		await item.getByText('Berhasil diunggah.').waitFor();
		assert.equal(await bar.getAttribute('value'), '100');
	}
	await panel.getByText(`${names.length} berkas berhasil diunggah.`).waitFor();
}

async function readDownload(download) {
	const stream = await download.createReadStream();
	const chunks = [];
	for await (const c of stream) chunks.push(c);
	return Buffer.concat(chunks);
}
