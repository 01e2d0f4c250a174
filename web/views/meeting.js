// The meeting page (#/meetings/{id}[/{stage}]): the meeting's facts with an edit form (PATCH), its
// documents in three stages as tabs, each with its upload form, and the history of its SOP case.

import {h, uid, append} from '../dom.js';
import {t} from '../i18n.js';
import {api, documentContentUrl, documentDerivedUrl} from '../api.js';
import {errorMessage} from '../errors.js';
import {
	fmtDate, fmtDateTime, fmtScanDate, fmtSize, fmtNumber, docTypeLabel, sourceLabel, stageLabel, stageTitle, stageInSentence,
} from '../format.js';
import {stageCodes, hasBureauRole} from '../state.js';
import {meetingForm} from './meetingform.js';
import {classificationBadge, stateBadge, cell} from './common.js';
import {stageUploadForm, newVersionForm} from './upload.js';
import {caseHistorySection} from './casehistory.js';
import {viewerHref} from './viewer.js';

export async function renderMeeting(container, route, ctx) {
	const id = route.id;
	const crumbs = h('nav', {class: 'breadcrumb', 'aria-label': t('nav.breadcrumb')},
		h('ol', null, h('li', null, h('a', {href: '#/meetings'}, t('meetings.title')))));
	const headingId = uid('meeting-heading');
	const heading = h('h1', {id: headingId, tabindex: '-1'}, t('common.loading'));
	container.append(crumbs, heading);

	let meeting;
	let documents;
	try {
		[meeting, documents] = await Promise.all([api.meeting(id), api.documents(id)]);
	} catch (err) {
		if (err.code === 'not_found') {
			heading.textContent = t('meeting.notFoundTitle');
			container.append(h('div', {class: 'alert alert-info'}, t('meeting.notFound')),
				h('p', null, h('a', {href: '#/meetings'}, t('meeting.back'))));
			return {title: t('meeting.notFoundTitle')};
		}
		heading.textContent = t('meeting.errorTitle');
		container.append(h('div', {class: 'alert alert-error', role: 'alert'}, errorMessage(err)));
		return {title: t('meeting.errorTitle')};
	}

	const crumbTitle = h('li', {'aria-current': 'page'}, meeting.title);
	crumbs.firstChild.append(crumbTitle);
	heading.textContent = meeting.title;
	const headBadge = h('span', {class: 'heading-badge'}, classificationBadge(meeting.classification));
	heading.after(headBadge);

	const canEdit = hasBureauRole();
	const uploads = [];

	// --- facts
	const factsId = uid('facts');
	const factsBody = h('div');
	const editButton = canEdit
		? h('button', {type: 'button', class: 'button', 'aria-expanded': 'false'}, t('meeting.edit'))
		: null;
	const factsStatus = h('p', {class: 'status-line', role: 'status'});
	const facts = h('section', {class: 'card', 'aria-labelledby': factsId},
		h('div', {class: 'section-head'}, h('h2', {id: factsId}, t('meeting.facts')), editButton),
		factsStatus,
		factsBody);

	function showFacts() {
		factsBody.replaceChildren(factList(meeting));
		if (editButton) {
			editButton.hidden = false;
			editButton.setAttribute('aria-expanded', 'false');
		}
	}
	function showEdit() {
		factsStatus.textContent = '';
		const form = meetingForm({
			initial: meeting,
			submitLabel: t('form.save'),
			onCancel: () => {
				showFacts();
				editButton.focus();
			},
			onUnchanged: () => {
				showFacts();
				factsStatus.textContent = t('meeting.unchanged');
				editButton.focus();
			},
			onSubmit: async (values) => {
				const old = meeting.classification;
				meeting = await api.updateMeeting(meeting.id, values);
				heading.textContent = meeting.title;
				crumbTitle.textContent = meeting.title;
				headBadge.replaceChildren(classificationBadge(meeting.classification));
				ctx.setTitle(meeting.title);
				for (const u of uploads) u.meetingClassificationChanged(old, meeting.classification);
				showFacts();
				factsStatus.textContent = t('meeting.saved');
				editButton.focus();
			},
		});
		factsBody.replaceChildren(form.element);
		editButton.hidden = true;
		form.focus();
	}
	if (editButton) editButton.addEventListener('click', showEdit);
	showFacts();

	// --- stages as tabs
	const stages = stageCodes();
	let current = stages.includes(route.stage) ? route.stage : stages[0];
	const docsHeadingId = uid('docs');
	const tablist = h('div', {role: 'tablist', class: 'tabs', 'aria-labelledby': docsHeadingId});
	const tabs = {};
	const panels = {};
	const tables = {};
	const counts = {};
	const notices = {};
	const completeness = {};
	// The required document types per stage come from the checklist of the SOP version the
	// dossier's case runs on (the bureau's view; PICs see no case).
	let checklist = null;

	for (const stage of stages) {
		const tabId = uid(`tab-${stage}`);
		const panelId = uid(`panel-${stage}`);
		counts[stage] = h('span', {class: 'count'});
		const tab = h('button', {type: 'button', role: 'tab', id: tabId, 'aria-controls': panelId,
			class: 'tab'}, stageLabel(stage), ' ', counts[stage]);
		tab.addEventListener('click', () => select(stage, false));
		tabs[stage] = tab;
		tablist.append(tab);
		tables[stage] = h('div', {class: 'docs'});
		notices[stage] = h('p', {class: 'status-line', role: 'status', tabindex: '-1'});
		completeness[stage] = h('div', {class: 'completeness'});
		const panel = h('section', {role: 'tabpanel', id: panelId, 'aria-labelledby': tabId, tabindex: '0',
			class: 'tabpanel'},
		h('h3', {class: 'visually-hidden'}, stageTitle(stage)),
		completeness[stage],
		notices[stage],
		tables[stage]);
		if (canEdit) {
			const u = stageUploadForm(meeting, stage, () => reloadDocuments());
			uploads.push(u);
			panel.append(u.element);
		}
		panels[stage] = panel;
	}

	tablist.addEventListener('keydown', (e) => {
		const i = stages.indexOf(current);
		let next = null;
		if (e.key === 'ArrowRight') next = stages[(i + 1) % stages.length];
		else if (e.key === 'ArrowLeft') next = stages[(i - 1 + stages.length) % stages.length];
		else if (e.key === 'Home') next = stages[0];
		else if (e.key === 'End') next = stages[stages.length - 1];
		if (next) {
			e.preventDefault();
			select(next, true);
		}
	});

	function select(stage, focus) {
		current = stage;
		for (const s of stages) {
			const on = s === stage;
			tabs[s].setAttribute('aria-selected', on ? 'true' : 'false');
			tabs[s].tabIndex = on ? 0 : -1;
			panels[s].hidden = !on;
		}
		if (focus) tabs[stage].focus();
		// Remember the tab in the address without a new history entry or a re-render.
		const hash = `#/meetings/${encodeURIComponent(meeting.id)}/${stage}`;
		if (location.hash !== hash) history.replaceState(null, '', hash);
	}

	function showDocuments(list) {
		lastDocuments = list;
		for (const stage of stages) {
			const docs = list.filter((d) => d.stage === stage);
			counts[stage].textContent = `(${fmtNumber(docs.length)})`;
			tables[stage].replaceChildren(documentTable(docs, stage, reloadDocuments, canEdit));
			completeness[stage].replaceChildren(...completenessLine(checklist, stage, docs));
		}
	}
	let lastDocuments = [];

	async function loadChecklist() {
		try {
			const c = await api.meetingCase(meeting.id);
			const sop = await api.sop(c.sop.version_id);
			checklist = (sop.definition && sop.definition.checklist) || [];
			showDocuments(lastDocuments);
		} catch (err) {
			// No case (or none visible): no checklist to measure against.
		}
	}

	// Re-reads the documents; MESSAGE (optional) is announced above the current stage's table and
	// takes the focus, since the control that asked for the reload is gone with the old table.
	async function reloadDocuments(message) {
		try {
			const res = await api.documents(meeting.id);
			showDocuments(Array.isArray(res.items) ? res.items : []);
			for (const s of stages) notices[s].textContent = '';
			if (message) {
				notices[current].textContent = message;
				notices[current].focus();
			}
		} catch (err) {
			tables[current].prepend(h('div', {class: 'alert alert-error', role: 'alert'}, errorMessage(err)));
		}
	}

	append(container, [facts,
		h('section', {class: 'stages', 'aria-labelledby': docsHeadingId},
			h('h2', {id: docsHeadingId}, t('meeting.documents')),
			tablist,
			stages.map((s) => panels[s])),
		// The SOP case over this dossier: for the bureau's performers, who run it.
		canEdit ? caseHistorySection(meeting) : null]);
	showDocuments(Array.isArray(documents.items) ? documents.items : []);
	select(current, false);
	if (canEdit) loadChecklist();
	return {title: meeting.title};
}

// "Kelengkapan: 3 dari 5 jenis wajib — belum ada: Agenda, Nota dinas" for one stage.
function completenessLine(checklist, stage, docs) {
	if (!checklist) return [];
	const entry = checklist.find((c) => c.stage === stage);
	const required = entry && Array.isArray(entry.required) ? entry.required : [];
	if (required.length === 0) return [];
	const have = new Set(docs.map((d) => d.type));
	const missing = required.filter((type) => !have.has(type));
	const present = required.length - missing.length;
	const summary = t('meeting.completeness', {present: fmtNumber(present), required: fmtNumber(required.length)});
	if (missing.length === 0) {
		return [h('p', {class: 'completeness-line complete'}, summary, ' — ', t('meeting.completenessDone'))];
	}
	return [h('p', {class: 'completeness-line incomplete'}, summary, ' — ', t('meeting.completenessMissing'), ' ',
		missing.map(docTypeLabel).join(', '))];
}

function factList(m) {
	const rows = [
		[t('meeting.number'), m.number || '—'],
		[t('meeting.date'), m.date ? h('time', {datetime: m.date}, fmtDate(m.date, 'full')) : '—'],
		[t('meeting.place'), m.place || '—'],
		[t('meeting.chair'), m.chair || '—'],
		[t('meeting.classification'), classificationBadge(m.classification)],
		[t('meeting.createdBy'), m.created_by || '—'],
		[t('meeting.createdAt'), m.created_at ? h('time', {datetime: m.created_at}, fmtDateTime(m.created_at)) : '—'],
		[t('meeting.updatedAt'), m.updated_at ? h('time', {datetime: m.updated_at}, fmtDateTime(m.updated_at)) : '—'],
	];
	return h('dl', {class: 'facts'}, rows.map(([k, v]) => h('div', null, h('dt', null, k), h('dd', null, v))));
}

function alihMediaText(am) {
	if (!am) return null;
	const parts = [];
	if (am.scanned_by) parts.push(t('alih.byLine', {name: am.scanned_by}));
	if (am.scanned_at) parts.push(fmtScanDate(am.scanned_at));
	if (am.device) parts.push(am.device);
	if (am.pages) parts.push(t('alih.pagesLine', {n: fmtNumber(am.pages)}));
	return parts.length ? h('span', {class: 'small muted'}, parts.join(' · ')) : null;
}

const COLUMNS = 9;

// CANEDIT: the user may upload new versions (a bureau performer; a PIC only reads).
function documentTable(docs, stage, reload, canEdit) {
	if (docs.length === 0) {
		return h('p', {class: 'empty'}, t('document.none', {stage: stageInSentence(stage)}));
	}
	const body = h('tbody');
	for (const d of docs) {
		const v = d.current_version || {};
		const detailRow = h('tr', {class: 'detail-row', hidden: true});
		const detailCell = h('td', {colspan: String(COLUMNS)});
		detailRow.append(detailCell);
		let openPanel = null;

		const versionBtn = h('button', {type: 'button', class: 'button button-small', 'aria-expanded': 'false'},
			t('document.newVersion'));
		versionBtn.setAttribute('aria-label', t('document.newVersionFor', {title: d.title}));
		const historyBtn = h('button', {type: 'button', class: 'button button-small', 'aria-expanded': 'false'},
			t('document.history'));
		historyBtn.setAttribute('aria-label', t('document.historyFor', {title: d.title}));

		const toggle = (which, build) => {
			const wasOpen = openPanel === which;
			versionBtn.setAttribute('aria-expanded', 'false');
			historyBtn.setAttribute('aria-expanded', 'false');
			if (wasOpen) {
				openPanel = null;
				detailRow.hidden = true;
				detailCell.replaceChildren();
				return;
			}
			openPanel = which;
			(which === 'version' ? versionBtn : historyBtn).setAttribute('aria-expanded', 'true');
			detailCell.replaceChildren(build());
			detailRow.hidden = false;
		};
		versionBtn.addEventListener('click', () => toggle('version', () => {
			const form = newVersionForm(d, (updated) => {
				const n = updated && updated.current_version ? updated.current_version.version : '';
				reload(t('version.saved', {title: d.title, n}));
			});
			setTimeout(() => form.querySelector('input[type=file]').focus(), 0);
			return form;
		}));
		historyBtn.addEventListener('click', () => toggle('history', () => versionHistory(d)));

		const download = h('a', {class: 'button button-small', href: documentContentUrl(d.id), download: ''},
			t('document.download'));
		download.setAttribute('aria-label', t('document.downloadFile', {title: d.title}));
		// "Lihat" opens the document viewer (facts, versions, PDF and images in the page).
		const view = h('a', {class: 'button button-small', href: viewerHref(d.id)}, t('document.view'));
		view.setAttribute('aria-label', t('viewer.openNamed', {title: d.title}));

		body.append(h('tr', null,
			cell(t('document.title'), h('div', {class: 'doc-title-cell'}, docThumb(d),
				h('div', null, h('span', {class: 'doc-title'}, d.title),
					v.filename && v.filename !== d.title ? h('span', {class: 'small muted filename'}, v.filename) : null))),
			cell(t('document.type'), docTypeLabel(d.type)),
			cell(t('document.classification'), classificationBadge(d.classification)),
			cell(t('document.source'), h('div', null, h('span', null, sourceLabel(d.source)),
				d.source === 'scan' ? alihMediaText(d.alih_media) : null)),
			cell(t('document.version'), v.version !== undefined ? fmtNumber(v.version) : '—', 'num'),
			cell(t('document.size'), fmtSize(v.size), 'num nowrap'),
			cell(t('document.uploaded'), h('div', null, h('span', null, v.uploaded_by || d.created_by || '—'),
				v.uploaded_at ? h('time', {class: 'small muted', datetime: v.uploaded_at}, fmtDateTime(v.uploaded_at)) : null)),
			cell(t('document.state'), stateBadge(d.state)),
			cell(t('document.actions'), h('div', {class: 'row-actions'}, download, view, canEdit ? versionBtn : null,
				historyBtn))));
		body.append(detailRow);
	}
	return h('div', {class: 'table-wrap'}, h('table', {class: 'table responsive docs-table'},
		h('caption', {class: 'visually-hidden'}, stageTitle(stage)),
		h('thead', null, h('tr', null,
			h('th', {scope: 'col'}, t('document.title')),
			h('th', {scope: 'col'}, t('document.type')),
			h('th', {scope: 'col'}, t('document.classification')),
			h('th', {scope: 'col'}, t('document.source')),
			h('th', {scope: 'col', class: 'num'}, t('document.version')),
			h('th', {scope: 'col', class: 'num'}, t('document.size')),
			h('th', {scope: 'col'}, t('document.uploaded')),
			h('th', {scope: 'col'}, t('document.state')),
			h('th', {scope: 'col'}, t('document.actions')))),
		body));
}

// The first page of document D, small (GET .../derived/thumbnail: 240 px wide, shown at 48), when
// a worker has drawn it; decorative, as the title beside it says what it is.
export function docThumb(d) {
	const v = d.current_version || {};
	if (!Array.isArray(v.derived) || !v.derived.includes('thumbnail')) return null;
	return h('img', {class: 'doc-thumb', alt: '', loading: 'lazy', decoding: 'async',
		src: documentDerivedUrl(d.id, 'thumbnail', {version: v.version, inline: true})});
}

// The versions of a document, newest first (GET /api/documents/{id}), each downloadable.
function versionHistory(doc) {
	const box = h('div', {class: 'versions', 'aria-live': 'polite'}, h('p', {class: 'muted'}, t('common.loading')));
	api.document(doc.id).then((full) => {
		const versions = Array.isArray(full.versions) ? full.versions : [];
		box.replaceChildren(h('div', {class: 'table-wrap'}, h('table', {class: 'table table-compact responsive'},
			h('caption', null, t('version.caption', {title: doc.title})),
			h('thead', null, h('tr', null,
				h('th', {scope: 'col', class: 'num'}, t('document.version')),
				h('th', {scope: 'col'}, t('version.filename')),
				h('th', {scope: 'col', class: 'num'}, t('document.size')),
				h('th', {scope: 'col'}, t('document.uploaded')),
				h('th', {scope: 'col'}, t('version.sha256')),
				h('th', {scope: 'col'}, t('document.actions')))),
			h('tbody', null, versions.map((v) => h('tr', null,
				cell(t('document.version'), fmtNumber(v.version), 'num'),
				cell(t('version.filename'), h('span', {class: 'filename'}, v.filename || '—')),
				cell(t('document.size'), fmtSize(v.size), 'num nowrap'),
				cell(t('document.uploaded'), h('div', null, h('span', null, v.uploaded_by || '—'),
					v.uploaded_at ? h('time', {class: 'small muted', datetime: v.uploaded_at}, fmtDateTime(v.uploaded_at)) : null)),
				cell(t('version.sha256'), h('code', {class: 'hash', title: v.sha256 || ''}, (v.sha256 || '').slice(0, 12))),
				cell(t('document.actions'), h('a', {class: 'button button-small', download: '',
					href: documentContentUrl(doc.id, {version: v.version}),
					'aria-label': t('version.downloadVersion', {n: v.version, title: doc.title})}, t('document.download')))))))));
	}).catch((err) => {
		box.replaceChildren(h('div', {class: 'alert alert-error', role: 'alert'}, errorMessage(err)));
	});
	return box;
}
