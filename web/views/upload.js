// Uploading: the per-stage upload form (POST /api/meetings/{id}/documents, several files, drag and
// drop) and the per-document "new version" form (POST /api/documents/{id}/versions).
// Each file goes in its own XMLHttpRequest so that it has its own <progress> bar and its own
// outcome; a failed file does not stop the others.

import {h, uid} from '../dom.js';
import {t} from '../i18n.js';
import {upload, uploadPaths, ApiError} from '../api.js';
import {errorMessage, tooLargeMessage} from '../errors.js';
import {fmtSize, classificationLabel, docTypeLabel, sourceLabel, stageInSentence} from '../format.js';
import {state, allowedClassifications, documentTypes, uploadLimit} from '../state.js';
import {inputField, selectField, radioField, checkFields, byteLength} from '../forms.js';

const CONCURRENCY = 2;
const TYPE_RE = /^[a-z0-9_]{1,64}$/;
const YMD = /^\d{4}-\d{2}-\d{2}$/;
const OTHER = '__other__';

// The file types the API accepts (by content), for the picker's filter and the hint. The server
// decides; this only narrows the file dialog.
const ACCEPT = [
	'.pdf', '.jpg', '.jpeg', '.png', '.tif', '.tiff', '.doc', '.docx', '.xls', '.xlsx', '.ppt', '.pptx',
	'.odt', '.ods', '.odp',
	'application/pdf', 'image/jpeg', 'image/png', 'image/tiff',
].join(',');

let active = 0;
const idleWaiters = [];

// How many uploads are running now (the app warns before leaving the page and holds back a
// language re-render while this is above zero).
export function activeUploads() {
	return active;
}

// Calls FN once no upload is running.
export function whenIdle(fn) {
	if (active === 0) fn();
	else idleWaiters.push(fn);
}

function started() {
	active += 1;
}

function finished() {
	active -= 1;
	if (active === 0) {
		for (const fn of idleWaiters.splice(0)) fn();
	}
}

function todayLocal() {
	const d = new Date();
	const p = (n) => String(n).padStart(2, '0');
	return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

// 'Daftar Hadir-2' → 'daftar_hadir_2': the API's document-type form.
export function normaliseType(s) {
	return s.trim().toLowerCase().replace(/[\s-]+/g, '_').replace(/[^a-z0-9_]/g, '');
}

// One row of the progress list: file name, size, <progress>, status text, cancel button.
function progressItem(file) {
	const nameId = uid('up-name');
	const progress = h('progress', {max: '100', value: '0', 'aria-labelledby': nameId});
	const status = h('span', {class: 'upload-status'}, t('upload.waiting'));
	const cancel = h('button', {type: 'button', class: 'button button-small'}, t('upload.cancel'));
	cancel.setAttribute('aria-label', t('upload.cancelFile', {name: file.name}));
	const li = h('li', {class: 'upload-item'},
		h('div', {class: 'upload-file'},
			h('span', {id: nameId, class: 'filename'}, file.name),
			h('span', {class: 'muted'}, ` (${fmtSize(file.size)})`)),
		progress,
		h('div', {class: 'upload-line'}, status, cancel));
	return {
		li,
		cancel,
		setProgress(loaded, total) {
			const pct = total > 0 ? Math.min(100, Math.round((loaded / total) * 100)) : 0;
			progress.value = pct;
			status.textContent = pct >= 100 ? t('upload.processing') : t('upload.sending', {pct});
		},
		ok(text) {
			progress.value = 100;
			status.textContent = text;
			li.classList.add('is-ok');
			cancel.remove();
		},
		fail(text) {
			status.textContent = text;
			li.classList.add('is-error');
			progress.classList.add('is-error');
			cancel.remove();
		},
	};
}

function uploadErrorText(err, fieldLabels) {
	if (err instanceof ApiError && err.field && err.field !== 'file' && fieldLabels[err.field]) {
		return `${fieldLabels[err.field]}: ${errorMessage(err)}`;
	}
	return errorMessage(err);
}

// Uploads FILE to PATH with the extra multipart FIELDS, showing progress in ITEM.
// Resolves to the DOCUMENT or null (failed); never rejects.
async function sendOne(path, file, fields, item, fieldLabels) {
	const limit = uploadLimit();
	if (limit && file.size > limit) {
		// Refused here: the server would refuse it too, after the whole file went over the wire.
		item.fail(tooLargeMessage());
		return null;
	}
	const fd = new FormData();
	for (const [k, v] of Object.entries(fields)) {
		if (v !== undefined && v !== null && v !== '') fd.append(k, v);
	}
	fd.append('file', file, file.name);
	started();
	const {promise, abort} = upload(path, fd, (loaded, total) => item.setProgress(loaded, total));
	item.cancel.addEventListener('click', abort);
	item.setProgress(0, 1);
	try {
		const doc = await promise;
		item.ok(t('upload.done'));
		return doc;
	} catch (err) {
		item.fail(uploadErrorText(err, fieldLabels));
		return null;
	} finally {
		finished();
	}
}

function fieldLabelMap() {
	return {
		file: t('upload.file'), stage: t('upload.stage'), type: t('document.type'), title: t('document.title'),
		classification: t('document.classification'), source: t('document.source'),
		scanned_by: t('alih.scannedBy'), scanned_at: t('alih.scannedAt'), scan_device: t('alih.device'),
		scan_pages: t('alih.pages'),
	};
}

// The upload form of one stage of MEETING. onUploaded() is called after each batch that stored
// at least one file. Returns {element, meetingClassificationChanged(old, new)}.
export function stageUploadForm(meeting, stage, onUploaded) {
	let selected = []; // [{file, pages: <input>}]
	const headingId = uid('up-heading');
	const inputId = uid('up-file');
	const dropHintId = uid('up-drop');

	// --- files: picker + drop zone
	const fileInput = h('input', {id: inputId, type: 'file', multiple: true, class: 'visually-hidden',
		accept: ACCEPT, 'aria-describedby': dropHintId});
	const limit = uploadLimit();
	const dropzone = h('div', {class: 'dropzone'},
		h('label', {for: inputId, class: 'button file-button'}, t('upload.choose')),
		fileInput,
		h('p', {id: dropHintId, class: 'hint'},
			t('upload.dropHint'), ' ', t('upload.allowed'),
			limit ? ` ${t('upload.limit', {limit: fmtSize(limit)})}` : ''));
	const fileList = h('ul', {class: 'file-list', 'aria-label': t('upload.selected')});
	const filesError = h('p', {class: 'field-error', hidden: true, role: 'alert'});

	// --- metadata
	// 'lainnya' (other) is offered once, as the free-text choice at the end of the list.
	const types = documentTypes(stage).filter((c) => c !== 'lainnya');
	const typeField = selectField({name: 'type', label: t('document.type'), required: true,
		options: [{value: '', label: t('upload.chooseType')}]
			.concat(types.map((c) => ({value: c, label: docTypeLabel(c)})))
			.concat([{value: OTHER, label: t('upload.otherType')}])});
	const otherField = inputField({name: 'type_other', label: t('upload.otherTypeName'),
		hint: t('upload.otherTypeHint'),
		validate: (v) => (v === '' || TYPE_RE.test(normaliseType(v)) ? null : t('upload.otherTypeInvalid'))});
	otherField.wrap.hidden = true;
	typeField.input.addEventListener('change', () => {
		otherField.wrap.hidden = typeField.value() !== OTHER;
		if (!otherField.wrap.hidden) otherField.input.focus();
	});
	const titleField = inputField({name: 'title', label: t('document.title'), maxBytes: 500,
		hint: t('upload.titleHint')});
	const classes = allowedClassifications();
	if (meeting.classification && !classes.includes(meeting.classification)) classes.push(meeting.classification);
	const classField = selectField({name: 'classification', label: t('document.classification'), required: true,
		value: meeting.classification,
		options: classes.map((c) => ({value: c, label: classificationLabel(c)}))});
	const sourceField = radioField({name: 'source', label: t('document.source'), value: 'born_digital',
		options: [{value: 'scan', label: sourceLabel('scan')}, {value: 'born_digital', label: sourceLabel('born_digital')}]});

	// --- alih media (scans only)
	const myName = state.user ? (state.user.display_name || state.user.username) : '';
	const scannedBy = inputField({name: 'scanned_by', label: t('alih.scannedBy'), maxBytes: 200,
		placeholder: myName, hint: t('alih.scannedByHint')});
	const scannedAt = inputField({name: 'scanned_at', label: t('alih.scannedAt'), type: 'date', required: true,
		value: todayLocal(), validate: (v) => (YMD.test(v) ? null : t('form.dateFormat'))});
	const device = inputField({name: 'scan_device', label: t('alih.device'), required: true, maxBytes: 200,
		hint: t('alih.deviceHint')});
	const alih = h('fieldset', {class: 'alih-media', hidden: true},
		h('legend', null, t('alih.title')),
		h('p', {class: 'hint'}, t('alih.intro')),
		h('div', {class: 'grid-3'}, scannedBy.wrap, scannedAt.wrap, device.wrap));
	const isScan = () => sourceField.value() === 'scan';
	sourceField.onChange(() => {
		alih.hidden = !isScan();
		renderFileList();
	});

	const formAlert = h('div', {class: 'alert alert-error', role: 'alert', hidden: true});
	const submit = h('button', {type: 'submit', class: 'button button-primary'}, t('upload.submit'));
	const results = h('ul', {class: 'upload-list', 'aria-live': 'polite', 'aria-label': t('upload.progress')});
	const summary = h('p', {class: 'upload-summary', role: 'status'});

	function renderFileList() {
		fileList.replaceChildren();
		if (selected.length === 0) {
			fileList.append(h('li', {class: 'muted'}, t('upload.noneSelected')));
		}
		selected.forEach((entry, i) => {
			const pagesId = uid('up-pages');
			const remove = h('button', {type: 'button', class: 'button button-small'}, t('upload.remove'));
			remove.setAttribute('aria-label', t('upload.removeFile', {name: entry.file.name}));
			remove.addEventListener('click', () => {
				selected.splice(i, 1);
				renderFileList();
				fileInput.focus();
			});
			const pages = isScan()
				? h('span', {class: 'pages'},
					h('label', {for: pagesId}, t('alih.pagesShort'),
						h('span', {class: 'visually-hidden'}, ` ${entry.file.name}`)),
					entry.pages)
				: null;
			entry.pages.id = pagesId;
			const limitNow = uploadLimit();
			const tooBig = limitNow && entry.file.size > limitNow;
			fileList.append(h('li', {class: tooBig ? 'file is-error' : 'file'},
				h('span', {class: 'filename'}, entry.file.name),
				h('span', {class: 'muted'}, fmtSize(entry.file.size)),
				tooBig ? h('span', {class: 'field-error'}, tooLargeMessage()) : null,
				pages, remove));
		});
		// A typed title makes sense for one file only; several files keep their own names.
		titleField.input.disabled = selected.length > 1;
	}

	function addFiles(list) {
		for (const file of list) {
			const pages = h('input', {type: 'number', min: '1', max: '100000', step: '1', inputmode: 'numeric',
				class: 'pages-input'});
			selected.push({file, pages});
		}
		filesError.hidden = true;
		renderFileList();
	}

	fileInput.addEventListener('change', () => {
		addFiles(Array.from(fileInput.files || []));
		fileInput.value = ''; // so that choosing the same file again fires 'change'
	});
	dropzone.addEventListener('dragenter', (e) => {
		e.preventDefault();
		dropzone.classList.add('is-over');
	});
	dropzone.addEventListener('dragover', (e) => {
		e.preventDefault();
		if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
		dropzone.classList.add('is-over');
	});
	dropzone.addEventListener('dragleave', (e) => {
		if (!dropzone.contains(e.relatedTarget)) dropzone.classList.remove('is-over');
	});
	dropzone.addEventListener('drop', (e) => {
		e.preventDefault();
		dropzone.classList.remove('is-over');
		if (e.dataTransfer && e.dataTransfer.files) addFiles(Array.from(e.dataTransfer.files));
	});

	function checkAll() {
		let ok = true;
		const fields = [typeField, titleField, classField];
		if (typeField.value() === OTHER) fields.push(otherField);
		if (isScan()) fields.push(scannedBy, scannedAt, device);
		if (!checkFields(fields)) ok = false;
		if (selected.length === 0) {
			filesError.textContent = t('upload.noFiles');
			filesError.hidden = false;
			if (ok) fileInput.focus();
			return false;
		}
		if (isScan()) {
			for (const entry of selected) {
				const v = entry.pages.value.trim();
				const n = Number(v);
				const bad = !/^\d+$/.test(v) || n < 1 || n > 100000;
				if (bad) entry.pages.setAttribute('aria-invalid', 'true');
				else entry.pages.removeAttribute('aria-invalid');
				if (bad && ok) {
					filesError.textContent = t('alih.pagesInvalid', {name: entry.file.name});
					filesError.hidden = false;
					entry.pages.focus();
					ok = false;
				}
			}
		}
		return ok;
	}

	const form = h('form', {class: 'form upload-form', novalidate: true, 'aria-labelledby': headingId},
		dropzone, fileList, filesError,
		h('div', {class: 'grid-2'}, typeField.wrap, otherField.wrap, titleField.wrap, classField.wrap,
			sourceField.wrap),
		alih,
		formAlert,
		h('div', {class: 'actions'}, submit));

	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		formAlert.hidden = true;
		filesError.hidden = true;
		if (!checkAll()) return;

		const common = {
			stage,
			type: typeField.value() === OTHER ? (normaliseType(otherField.value()) || 'lainnya') : typeField.value(),
			classification: classField.value(),
			source: sourceField.value(),
		};
		if (selected.length === 1 && titleField.value()) common.title = titleField.value();
		if (isScan()) {
			common.scanned_by = scannedBy.value();
			common.scanned_at = scannedAt.value();
			common.scan_device = device.value();
		}
		const batch = selected.map((entry) => ({
			file: entry.file,
			fields: isScan() ? {...common, scan_pages: entry.pages.value.trim()} : {...common},
			item: progressItem(entry.file),
		}));
		selected = [];
		renderFileList();
		titleField.input.value = '';
		results.replaceChildren(...batch.map((b) => b.item.li));
		summary.textContent = t('upload.running', {n: batch.length});

		const labels = fieldLabelMap();
		const path = uploadPaths.newDocument(meeting.id);
		let okCount = 0;
		let next = 0;
		async function worker() {
			while (next < batch.length) {
				const b = batch[next];
				next += 1;
				const doc = await sendOne(path, b.file, b.fields, b.item, labels);
				if (doc) okCount += 1;
			}
		}
		await Promise.all(Array.from({length: Math.min(CONCURRENCY, batch.length)}, worker));
		const failed = batch.length - okCount;
		summary.textContent = failed === 0
			? t('upload.summaryOk', {n: okCount})
			: t('upload.summaryMixed', {ok: okCount, failed});
		summary.classList.toggle('is-error', failed > 0);
		if (okCount > 0) onUploaded();
	});

	renderFileList();
	const element = h('section', {class: 'upload-section', 'aria-labelledby': headingId},
		h('h3', {id: headingId}, t('upload.title', {stage: stageInSentence(stage)})),
		form,
		summary,
		results);

	return {
		element,
		meetingClassificationChanged(oldValue, newValue) {
			if (classField.value() === oldValue && classes.includes(newValue)) classField.input.value = newValue;
		},
	};
}

// The "new version" form of one document (a single file). onUploaded(doc) after success.
export function newVersionForm(doc, onUploaded) {
	const inputId = uid('nv-file');
	const hintId = uid('nv-hint');
	const limit = uploadLimit();
	const input = h('input', {id: inputId, type: 'file', accept: ACCEPT, 'aria-describedby': hintId});
	const error = h('p', {class: 'field-error', hidden: true, role: 'alert'});
	const submit = h('button', {type: 'submit', class: 'button button-primary'}, t('version.submit'));
	const results = h('ul', {class: 'upload-list', 'aria-live': 'polite'});
	const form = h('form', {class: 'form version-form', novalidate: true},
		h('div', {class: 'field'},
			h('label', {for: inputId}, t('version.file', {title: doc.title})),
			h('p', {id: hintId, class: 'hint'}, t('upload.allowed'),
				limit ? ` ${t('upload.limit', {limit: fmtSize(limit)})}` : ''),
			input),
		error,
		h('div', {class: 'actions'}, submit),
		results);
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		error.hidden = true;
		const file = input.files && input.files[0];
		if (!file) {
			error.textContent = t('upload.noFiles');
			error.hidden = false;
			input.focus();
			return;
		}
		const item = progressItem(file);
		results.replaceChildren(item.li);
		submit.disabled = true;
		const res = await sendOne(uploadPaths.newVersion(doc.id), file, {}, item, fieldLabelMap());
		submit.disabled = false;
		input.value = '';
		if (res) onUploaded(res);
	});
	return form;
}

// Keeps a file dropped outside a drop zone from replacing the page (the browser would open it).
export function guardWindowDrops() {
	window.addEventListener('dragover', (e) => {
		if (!(e.target instanceof Element) || !e.target.closest('.dropzone, input[type=file]')) e.preventDefault();
	});
	window.addEventListener('drop', (e) => {
		if (!(e.target instanceof Element) || !e.target.closest('.dropzone, input[type=file]')) e.preventDefault();
	});
}
