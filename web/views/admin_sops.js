// SOP definitions (#/admin/sops): every imported version (GET /api/sops) with a link to its SOP
// page (#/sop/{version_id}), the SOP that new cases run (PUT /api/settings/default_sop), and the
// import of a definition file (POST /api/sops {filename, text}). A refused definition shows the
// server's "FILE:LINE: reason" and the line, highlighted, in a read-only preview of the text.

import {h, uid} from '../dom.js';
import {t} from '../i18n.js';
import {fmtDateTime, fmtNumber} from '../format.js';
import {selectField, checkFields, byteLength} from '../forms.js';
import {cell} from './common.js';
import {adminApi, adminHead, errorBox} from './admin_common.js';
import {errorMessage} from '../errors.js';

// The JSON body is at most 64 KiB; the text goes in escaped, so leave room.
const MAX_BODY = 64 * 1024;

// A file name the API takes: 1–255 of A-Z a-z 0-9 . _ -, not starting with '.'.
export function safeFilename(name) {
	let s = String(name || '').replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[.]+/, '');
	if (s === '') s = 'sop.yaml';
	return s.slice(0, 255);
}

export async function renderSops(container, route, ctx) {
	adminHead(container, 'sops', t('admin.sops.title'));
	container.append(h('p', {class: 'muted'}, t('admin.sops.intro')));
	const listId = uid('sops-list');
	const listStatus = h('p', {class: 'status-line', role: 'status', tabindex: '-1'});
	const listBody = h('div', {'aria-busy': 'true'}, h('p', {class: 'muted'}, t('common.loading')));
	const defaultBox = h('div');
	container.append(
		h('section', {class: 'card', 'aria-labelledby': listId},
			h('h2', {id: listId}, t('admin.sops.versions')), listStatus, listBody),
		defaultBox,
		importCard(async (message) => {
			await reload();
			if (message) {
				listStatus.textContent = message;
			}
		}));

	async function reload() {
		listBody.setAttribute('aria-busy', 'true');
		try {
			const res = await adminApi.sops();
			const items = Array.isArray(res.items) ? res.items : [];
			listBody.replaceChildren(versionsTable(items));
			defaultBox.replaceChildren(defaultCard(items));
		} catch (err) {
			listBody.replaceChildren(errorBox(err));
		}
		listBody.removeAttribute('aria-busy');
	}
	await reload();
	return {title: t('admin.sops.title')};
}

function versionsTable(items) {
	if (items.length === 0) return h('p', {class: 'empty'}, t('admin.sops.none'));
	const latest = new Map();
	for (const v of items) {
		if (!latest.has(v.code) || v.version > latest.get(v.code).version) latest.set(v.code, v);
	}
	const sorted = [...items].sort((a, b) => a.code.localeCompare(b.code) || b.version - a.version);
	const c = {
		title: t('admin.sops.sopTitle'), code: t('admin.sops.code'), version: t('admin.sops.version'),
		imported: t('admin.sops.importedAt'), sha: t('version.sha256'), actions: t('document.actions'),
	};
	return h('div', {class: 'table-wrap'}, h('table', {class: 'table table-compact responsive'},
		h('caption', {class: 'visually-hidden'}, t('admin.sops.versions')),
		h('thead', null, h('tr', null, [[c.title], [c.code], [c.version, 'num'], [c.imported], [c.sha], [c.actions]]
			.map(([l, cls]) => h('th', {scope: 'col', class: cls || null}, l)))),
		h('tbody', null, sorted.map((v) => h('tr', null,
			cell(c.title, h('span', {class: 'label'}, v.title || v.code)),
			cell(c.code, h('code', {class: 'break'}, v.code)),
			cell(c.version, h('div', {class: 'cell-stack'}, h('span', null, fmtNumber(v.version)),
				latest.get(v.code) === v ? h('span', {class: 'badge badge-time'}, t('admin.sops.latest')) : null), 'num'),
			cell(c.imported, v.imported_at ? h('time', {datetime: v.imported_at}, fmtDateTime(v.imported_at)) : '—', 'nowrap'),
			cell(c.sha, h('code', {class: 'hash', title: v.sha256 || ''}, (v.sha256 || '').slice(0, 12))),
			cell(c.actions, h('a', {class: 'button button-small', href: `#/sop/${encodeURIComponent(v.version_id)}`,
				'aria-label': t('admin.sops.openNamed', {code: v.code, n: v.version})}, t('admin.sops.open'))))))));
}

// The SOP that new cases run. The API does not say which one it is now (no GET), so the form
// starts empty and says what it set.
function defaultCard(items) {
	const codes = [...new Set(items.map((v) => v.code))].sort();
	const titleOf = (code) => {
		const v = items.filter((x) => x.code === code).sort((a, b) => b.version - a.version)[0];
		return v && v.title ? `${v.title} (${code})` : code;
	};
	const select = selectField({name: 'code', label: t('admin.sops.defaultCode'), required: true,
		hint: t('admin.sops.defaultHint'),
		options: [{value: '', label: t('admin.acting.choose')}, ...codes.map((c) => ({value: c, label: titleOf(c)}))]});
	if (codes.length === 1) select.input.value = codes[0];
	const status = h('p', {class: 'status-line', role: 'status'});
	const alert = h('div');
	const submit = h('button', {type: 'submit', class: 'button button-primary'}, t('admin.sops.setDefault'));
	const id = uid('default-sop');
	const form = h('form', {class: 'card form', novalidate: true, 'aria-labelledby': id},
		h('h2', {id}, t('admin.sops.defaultTitle')),
		select.wrap, status, alert, h('div', {class: 'actions'}, submit));
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		alert.replaceChildren();
		status.textContent = '';
		if (!checkFields([select])) return;
		submit.disabled = true;
		try {
			await adminApi.setDefaultSop(select.value());
			status.textContent = t('admin.sops.defaultSet', {sop: titleOf(select.value())});
		} catch (err) {
			const msg = errorMessage(err);
			if (err.field === 'code') {
				select.setError(msg);
				select.input.focus();
			} else {
				alert.replaceChildren(h('div', {class: 'alert alert-error', role: 'alert'}, msg));
			}
		} finally {
			submit.disabled = false;
		}
	});
	return form;
}

// ---- import

function importCard(onImported) {
	const id = uid('sop-import');
	const fileId = uid('sop-file');
	const hintId = `${fileId}-hint`;
	const errId = `${fileId}-error`;
	const input = h('input', {type: 'file', id: fileId, name: 'file', accept: '.yaml,.yml,text/yaml,application/yaml',
		'aria-describedby': hintId});
	const fileError = h('p', {id: errId, class: 'field-error', hidden: true});
	const info = h('p', {class: 'small muted', role: 'status'});
	const result = h('div', {'aria-live': 'polite'});
	const preview = h('div', {class: 'yaml-preview-wrap', hidden: true});
	const submit = h('button', {type: 'submit', class: 'button button-primary', disabled: true}, t('admin.sops.import'));
	let loaded = null; // {filename, text}

	const setFileError = (msg) => {
		fileError.textContent = msg || '';
		fileError.hidden = !msg;
		input.setAttribute('aria-describedby', msg ? `${hintId} ${errId}` : hintId);
		if (msg) input.setAttribute('aria-invalid', 'true');
		else input.removeAttribute('aria-invalid');
	};

	input.addEventListener('change', () => {
		setFileError(null);
		result.replaceChildren();
		loaded = null;
		submit.disabled = true;
		preview.hidden = true;
		const file = input.files && input.files[0];
		if (!file) {
			info.textContent = '';
			return;
		}
		if (file.size > MAX_BODY) {
			setFileError(t('admin.sops.tooBig', {max: '64 KiB'}));
			return;
		}
		const reader = new FileReader();
		reader.addEventListener('load', () => {
			const text = String(reader.result || '');
			const filename = safeFilename(file.name);
			if (byteLength(JSON.stringify({filename, text})) > MAX_BODY) {
				setFileError(t('admin.sops.tooBig', {max: '64 KiB'}));
				return;
			}
			loaded = {filename, text};
			const lines = text.split(/\r\n|\n|\r/).length;
			info.textContent = filename !== file.name
				? t('admin.sops.loadedRenamed', {name: file.name, filename, n: fmtNumber(lines)})
				: t('admin.sops.loaded', {filename, n: fmtNumber(lines)});
			preview.replaceChildren(codePreview(text, null, filename));
			preview.hidden = false;
			submit.disabled = false;
		});
		reader.addEventListener('error', () => setFileError(t('admin.sops.readFailed')));
		reader.readAsText(file);
	});

	const form = h('form', {class: 'card form', novalidate: true, 'aria-labelledby': id},
		h('h2', {id}, t('admin.sops.importTitle')),
		h('p', null, t('admin.sops.importIntro')),
		h('div', {class: 'field'},
			h('label', {for: fileId}, t('admin.sops.file')),
			h('p', {id: hintId, class: 'hint'}, t('admin.sops.fileHint')),
			input, fileError),
		info,
		h('div', {class: 'actions'}, submit),
		result,
		preview);

	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		result.replaceChildren();
		if (!loaded) {
			setFileError(t('admin.sops.chooseFile'));
			input.focus();
			return;
		}
		submit.disabled = true;
		result.replaceChildren(h('p', {class: 'muted', role: 'status'}, t('admin.sops.importing')));
		const {filename, text} = loaded;
		try {
			const res = await adminApi.importSop(filename, text);
			const msg = res.unchanged
				? t('admin.sops.unchanged', {code: res.code, n: fmtNumber(res.version)})
				: t('admin.sops.imported', {code: res.code, n: fmtNumber(res.version)});
			result.replaceChildren(h('div', {class: 'alert alert-success', role: 'status'},
				h('p', null, msg),
				res.version_id !== undefined ? h('p', null, h('a', {href: `#/sop/${encodeURIComponent(res.version_id)}`},
					t('admin.sops.openNamed', {code: res.code, n: res.version}))) : null));
			preview.replaceChildren(codePreview(text, null, filename));
			await onImported(null);
		} catch (err) {
			// "FILE:LINE: reason": the line is read from the message (the file name holds no ':').
			const m = err && typeof err.message === 'string' ? /^[^:\n]*:(\d+):/.exec(err.message) : null;
			const line = m ? Number(m[1]) : null;
			if (err && err.code === 'validation_failed' && err.field !== 'filename') {
				const errBoxId = uid('sop-err');
				result.replaceChildren(h('div', {class: 'alert alert-error', role: 'alert', id: errBoxId},
					h('p', {class: 'label'}, t('admin.sops.refused')),
					h('p', null, h('code', {class: 'import-error'}, err.message)),
					line ? h('p', null, t('admin.sops.seeLine', {n: fmtNumber(line)})) : null));
				const box = codePreview(text, line, filename, errBoxId);
				preview.replaceChildren(box);
				preview.hidden = false;
				const target = box.querySelector('.is-error');
				if (target) {
					// The list scrolls to the line; the page keeps the message in view.
					const list = box.querySelector('.code-lines');
					list.scrollTop = Math.max(0, target.offsetTop - list.clientHeight / 2);
				}
			} else {
				result.replaceChildren(h('div', {class: 'alert alert-error', role: 'alert'}, errorMessage(err)));
			}
		} finally {
			submit.disabled = false;
		}
	});
	return form;
}

// The text with line numbers, read-only; LINE (1-based, or null) highlighted and described by
// the element DESCRIBEDBY (the error message).
function codePreview(text, line, filename, describedBy) {
	const lines = text.split(/\r\n|\n|\r/);
	if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
	const labelId = uid('preview');
	return h('figure', {class: 'yaml-preview'},
		h('figcaption', {id: labelId, class: 'small'}, t('admin.sops.preview', {filename})),
		h('ol', {class: 'code-lines', tabindex: '0', 'aria-labelledby': labelId},
			lines.map((l, i) => {
				const n = i + 1;
				const bad = n === line;
				return h('li', {class: bad ? 'is-error' : null, 'aria-describedby': bad && describedBy ? describedBy : null},
					h('span', {class: 'line-no', 'aria-hidden': 'true'}, String(n)),
					bad ? h('span', {class: 'visually-hidden'}, t('admin.sops.errorLine', {n})) : null,
					h('code', null, l === '' ? ' ' : l));
			})));
}
