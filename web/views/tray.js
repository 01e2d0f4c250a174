// "Berkas Masuk" (To file): the tray of files taken from the scanner inbox or `sidang import`
// (docs/api.md, "Scanner inbox"). An officer of the SOP's alih-media step opens an item, sees it
// (PDF in an <iframe>, PNG/JPEG in an <img>, sandboxed by the server), and files it under a
// meeting, stage and type with its alih-media facts, or discards it with a reason. An
// administrator sees the list only. Routes: #/tray[?page=N], #/tray/{id}.

import {h, uid, replace} from '../dom.js';
import {t} from '../i18n.js';
import {request, api} from '../api.js';
import {errorMessage} from '../errors.js';
import {fmtSize, fmtDateTime, classificationLabel, docTypeLabel, stageLabel} from '../format.js';
import {state, hasBureauRole, allowedClassifications, documentTypes, stageCodes} from '../state.js';
import {inputField, selectField, textareaField, checkFields, showFieldError} from '../forms.js';
import {cell} from './common.js';

const PAGE = 50;
const YMD = /^\d{4}-\d{2}-\d{2}$/;
const PDF = /^application\/pdf$/;
const IMAGE = /^image\/(png|jpeg)$/;
// Who works the tray in the seed SOP (step 1, alih media, and its "also"), and the administrator
// who may see the list; the server decides from the SOP in force (a Plh/Plt too).
const TRAY_ROLES = ['pengelola_persidangan', 'pengelola_naskah', 'admin'];

export function canSeeTray(user = state.user) {
	return !!user && Array.isArray(user.roles) && user.roles.some((r) => TRAY_ROLES.includes(r));
}

const intake = {
	list: (limit, offset) => request('GET', `/api/intake?limit=${limit}&offset=${offset}`),
	file: (id, body) => request('POST', `/api/intake/${encodeURIComponent(id)}/file`, body),
	discard: (id, reason) => request('POST', `/api/intake/${encodeURIComponent(id)}/discard`, {reason}),
	contentUrl: (id, inline) => `/api/intake/${encodeURIComponent(id)}/file${inline ? '?inline=1' : ''}`,
};

function todayLocal() {
	const d = new Date();
	const p = (n) => String(n).padStart(2, '0');
	return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

// What the item's bytes are already, in words (null when nothing).
function duplicateNote(item) {
	const d = item.duplicate;
	if (!d) return null;
	if (d.kind === 'intake') return t('tray.dupItem', {id: d.item_id});
	if (d.document_id) {
		return h('span', null, t('tray.dupDocument'), ' ',
			h('a', {href: `#/documents/${encodeURIComponent(d.document_id)}`}, d.title || `#${d.document_id}`));
	}
	return t('tray.dupHidden');
}

function listTable(items, selectedId) {
	const table = h('table', {class: 'table'},
		h('caption', {class: 'visually-hidden'}, t('tray.title')),
		h('thead', null, h('tr', null,
			h('th', {scope: 'col'}, t('tray.file')), h('th', {scope: 'col'}, t('tray.size')),
			h('th', {scope: 'col'}, t('tray.kind')), h('th', {scope: 'col'}, t('tray.takenAt')),
			h('th', {scope: 'col'}, t('tray.source')), h('th', {scope: 'col'}, t('tray.duplicate')))),
		h('tbody', null, items.map((it) => {
			const name = hasBureauRole()
				? h('a', {href: `#/tray/${encodeURIComponent(it.id)}`,
					'aria-current': String(it.id) === String(selectedId) ? 'page' : null}, it.filename)
				: it.filename;
			const dup = duplicateNote(it);
			return h('tr', null,
				cell(t('tray.file'), name), cell(t('tray.size'), fmtSize(it.size)),
				cell(t('tray.kind'), it.mime), cell(t('tray.takenAt'), fmtDateTime(it.taken_at)),
				cell(t('tray.source'), it.source === 'watch' ? t('tray.fromScanner')
					: t('tray.fromImport', {user: it.taken_by || ''})),
				cell(t('tray.duplicate'), dup ? h('span', {class: 'text-warn'}, dup) : '—'));
		})));
	return h('div', {class: 'table-wrap'}, table);
}

function preview(item) {
	const src = intake.contentUrl(item.id, true);
	if (PDF.test(item.mime)) {
		return h('iframe', {class: 'viewer-frame', src, title: t('tray.previewOf', {name: item.filename})});
	}
	if (IMAGE.test(item.mime)) {
		return h('img', {class: 'viewer-image', src, alt: t('tray.previewOf', {name: item.filename})});
	}
	return h('p', null, t('tray.noPreview'), ' ',
		h('a', {href: intake.contentUrl(item.id, false), download: ''}, t('tray.download', {name: item.filename})));
}

function fileForm(item, meetings, ctx) {
	const meetingField = selectField({name: 'meeting_id', label: t('tray.meeting'), required: true,
		options: [{value: '', label: t('tray.chooseMeeting')}]
			.concat(meetings.map((m) => ({value: String(m.id), label: `${m.date} — ${m.title}`})))});
	const stageField = selectField({name: 'stage', label: t('upload.stage'), required: true,
		options: stageCodes().map((s) => ({value: s, label: stageLabel(s)}))});
	const typeField = selectField({name: 'type', label: t('document.type'), required: true, options: []});
	const setTypes = () => {
		const types = documentTypes(stageField.value());
		replace(typeField.input, h('option', {value: ''}, t('upload.chooseType')),
			types.map((c) => h('option', {value: c}, docTypeLabel(c))));
	};
	setTypes();
	stageField.input.addEventListener('change', setTypes);
	const titleField = inputField({name: 'title', label: t('document.title'), maxBytes: 500, value: item.filename});
	const classField = selectField({name: 'classification', label: t('document.classification'),
		hint: t('tray.classificationHint'),
		options: [{value: '', label: t('tray.meetingClassification')}]
			.concat(allowedClassifications().map((c) => ({value: c, label: classificationLabel(c)})))});
	const myName = state.user ? (state.user.display_name || state.user.username) : '';
	const scannedBy = inputField({name: 'scanned_by', label: t('alih.scannedBy'), maxBytes: 200,
		placeholder: myName, hint: t('alih.scannedByHint')});
	const scannedAt = inputField({name: 'scanned_at', label: t('alih.scannedAt'), type: 'date', required: true,
		value: todayLocal(), validate: (v) => (YMD.test(v) ? null : t('form.dateFormat'))});
	const device = inputField({name: 'scan_device', label: t('alih.device'), required: true, maxBytes: 200,
		hint: t('alih.deviceHint')});
	const pages = inputField({name: 'scan_pages', label: t('alih.pages'), type: 'number', required: true,
		min: '1', max: '100000', inputmode: 'numeric',
		validate: (v) => (/^[1-9]\d{0,5}$/.test(v) && Number(v) <= 100000 ? null : t('tray.pagesInvalid'))});
	const fields = [meetingField, stageField, typeField, titleField, classField, scannedBy, scannedAt, device, pages];
	const alert = h('div', {class: 'alert alert-error', role: 'alert', hidden: true});
	const submit = h('button', {type: 'submit', class: 'button button-primary'}, t('tray.fileSubmit'));
	const headingId = uid('tray-file');
	const form = h('form', {class: 'card', novalidate: true, 'aria-labelledby': headingId},
		h('h2', {id: headingId}, t('tray.fileTitle')),
		h('p', {class: 'hint'}, t('form.requiredNote')),
		alert,
		h('div', {class: 'grid-3'}, meetingField.wrap, stageField.wrap, typeField.wrap),
		titleField.wrap, classField.wrap,
		h('fieldset', {class: 'alih-media'}, h('legend', null, t('alih.title')),
			h('p', {class: 'hint'}, t('alih.intro')),
			h('div', {class: 'grid-3'}, scannedBy.wrap, scannedAt.wrap, device.wrap), pages.wrap),
		submit);
	form.addEventListener('submit', async (e) => {
		e.preventDefault();
		alert.hidden = true;
		if (!checkFields(fields)) return;
		const body = {meeting_id: Number(meetingField.value()), stage: stageField.value(), type: typeField.value(),
			scanned_at: scannedAt.value(), scan_device: device.value(), scan_pages: Number(pages.value())};
		if (titleField.value()) body.title = titleField.value();
		if (classField.value()) body.classification = classField.value();
		if (scannedBy.value()) body.scanned_by = scannedBy.value();
		submit.disabled = true;
		try {
			const doc = await intake.file(item.id, body);
			ctx.flash(t('tray.filed', {name: item.filename}));
			ctx.navigate(`#/documents/${encodeURIComponent(doc.id)}`);
		} catch (err) {
			submit.disabled = false;
			const msg = errorMessage(err);
			if (!showFieldError(fields, err, msg)) {
				alert.textContent = msg;
				alert.hidden = false;
				alert.focus();
			}
		}
	});
	return form;
}

function discardForm(item, ctx) {
	const reason = textareaField({name: 'reason', label: t('tray.discardReason'), required: true, maxBytes: 500,
		rows: 2, hint: t('tray.discardHint')});
	const alert = h('div', {class: 'alert alert-error', role: 'alert', hidden: true});
	const submit = h('button', {type: 'submit', class: 'button'}, t('tray.discardSubmit'));
	const headingId = uid('tray-discard');
	const form = h('form', {class: 'card', novalidate: true, 'aria-labelledby': headingId},
		h('h2', {id: headingId}, t('tray.discardTitle')), alert, reason.wrap, submit);
	form.addEventListener('submit', async (e) => {
		e.preventDefault();
		alert.hidden = true;
		if (!checkFields([reason])) return;
		submit.disabled = true;
		try {
			await intake.discard(item.id, reason.value());
			ctx.flash(t('tray.discarded', {name: item.filename}));
			ctx.navigate('#/tray');
		} catch (err) {
			submit.disabled = false;
			const msg = errorMessage(err);
			if (!showFieldError([reason], err, msg)) {
				alert.textContent = msg;
				alert.hidden = false;
			}
		}
	});
	return form;
}

export async function renderTray(container, r, ctx) {
	const page = Math.max(1, Number(r.query.get('page')) || 1);
	container.append(h('h1', {tabindex: '-1'}, t('tray.title')), h('p', {class: 'lead'}, t('tray.intro')));
	let res;
	try {
		res = await intake.list(PAGE, (page - 1) * PAGE);
	} catch (err) {
		container.append(h('div', {class: 'alert alert-error', role: 'alert'},
			err.status === 403 ? t('tray.forbidden') : errorMessage(err)));
		return {title: t('tray.title')};
	}
	const items = Array.isArray(res.items) ? res.items : [];
	if (items.length === 0) {
		container.append(h('p', {class: 'empty'}, t('tray.empty')));
	} else {
		container.append(h('p', {class: 'muted'}, t('tray.count', {n: res.total})), listTable(items, r.id));
		const pages = Math.ceil(res.total / PAGE);
		if (pages > 1) {
			container.append(h('nav', {class: 'pager', 'aria-label': t('pager.label')},
				page > 1 ? h('a', {href: `#/tray?page=${page - 1}`}, t('pager.prev')) : null, ' ',
				page < pages ? h('a', {href: `#/tray?page=${page + 1}`}, t('pager.next')) : null));
		}
	}
	if (!r.id) return {title: t('tray.title')};
	const item = items.find((it) => String(it.id) === String(r.id));
	if (!item || !hasBureauRole()) {
		container.append(h('div', {class: 'alert alert-info', role: 'status'}, t('tray.notWaiting')));
		return {title: t('tray.title')};
	}
	let meetings = [];
	try {
		const m = await api.meetings(200, 0);
		meetings = Array.isArray(m.items) ? m.items : [];
	} catch (err) {
		container.append(h('div', {class: 'alert alert-error', role: 'alert'}, errorMessage(err)));
	}
	const headingId = uid('tray-item');
	container.append(h('section', {class: 'card viewer-content', 'aria-labelledby': headingId},
		h('h2', {id: headingId}, item.filename),
		duplicateNote(item) ? h('p', {class: 'alert alert-warn'}, duplicateNote(item)) : null,
		preview(item)),
	fileForm(item, meetings, ctx), discardForm(item, ctx));
	return {title: `${item.filename} · ${t('tray.title')}`};
}
