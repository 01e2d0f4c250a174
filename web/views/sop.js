// Pieces of the SOP engine's screens shared by the inbox, the task page and the case history:
// time against Waktu, performers, artefacts (dispositions, reports, check results, decisions,
// publications, verifications) and the generated report summary.

import {h} from '../dom.js';
import {t} from '../i18n.js';
import {
	fmtDateTime, fmtDuration, fmtMinutes, fmtNumber, textIn, userName, roleName, stageTitle, docTypeLabel,
	artefactKindLabel, actingLabel, verifyResultLabel, caseStateLabel,
} from '../format.js';
import {stateBadge, cell} from './common.js';

export function timeEl(iso) {
	return iso ? h('time', {datetime: iso}, fmtDateTime(iso)) : null;
}

// How a task stands against its Waktu, from the server's own figures (elapsed_seconds is measured
// on the server's clock at the moment of FETCHEDAT, a Date.now() value), so that a browser whose
// clock is off does not move deadlines. Returns {kind, seconds}:
//   kind 'none'    no Waktu;
//   kind 'left'    SECONDS left;
//   kind 'over'    SECONDS past due (or breached);
//   kind 'done'    completed within Waktu, SECONDS taken;
//   kind 'late'    completed past Waktu, SECONDS taken.
export function taskTiming(task, fetchedAt = Date.now()) {
	const limit = Number(task.waktu_minutes) > 0 ? Number(task.waktu_minutes) * 60 : null;
	let elapsed = Number.isFinite(Number(task.elapsed_seconds)) && task.elapsed_seconds !== null
		? Number(task.elapsed_seconds) : null;
	if (task.state === 'completed' || task.state === 'cancelled') {
		if (limit === null) return {kind: 'none', seconds: elapsed};
		return {kind: task.breached || (elapsed !== null && elapsed > limit) ? 'late' : 'done', seconds: elapsed};
	}
	if (elapsed === null && task.available_at) {
		elapsed = Math.max(0, (Date.now() - Date.parse(task.available_at)) / 1000);
	} else if (elapsed !== null) {
		elapsed += Math.max(0, (Date.now() - fetchedAt) / 1000);
	}
	if (limit === null) {
		if (task.due_at && task.breached) return {kind: 'over', seconds: null};
		return {kind: 'none', seconds: elapsed};
	}
	const left = limit - (elapsed || 0);
	if (task.breached || left < 0) return {kind: 'over', seconds: Math.max(0, -left)};
	return {kind: 'left', seconds: left};
}

export function isOverdue(task, fetchedAt) {
	const k = taskTiming(task, fetchedAt).kind;
	return k === 'over' || k === 'late';
}

// A short badge for the time left on an open task: 'Sisa 3 menit' / 'Terlambat 2 jam' / 'Tanpa
// batas Waktu'. The words carry the meaning; the colour only repeats it.
export function timeLeftBadge(task, fetchedAt) {
	const tm = taskTiming(task, fetchedAt);
	if (tm.kind === 'left') {
		return h('span', {class: 'badge badge-time'}, t('timing.left', {d: fmtDuration(tm.seconds)}));
	}
	if (tm.kind === 'over') {
		return h('span', {class: 'badge badge-overdue'},
			tm.seconds ? t('timing.overdueBy', {d: fmtDuration(tm.seconds)}) : t('timing.overdue'));
	}
	if (tm.kind === 'late') return h('span', {class: 'badge badge-overdue'}, t('timing.breached'));
	if (tm.kind === 'done') return h('span', {class: 'badge badge-ontime'}, t('timing.onTime'));
	return h('span', {class: 'badge badge-notime'}, t('timing.noWaktu'));
}

// Elapsed time against Waktu, for tables: '3 menit dari 5 menit' and a badge when breached.
export function elapsedVsWaktu(task, fetchedAt = Date.now()) {
	const tm = taskTiming(task, fetchedAt);
	let secs = task.elapsed_seconds;
	if (secs !== null && secs !== undefined && task.state === 'available') {
		secs = Number(secs) + Math.max(0, (Date.now() - fetchedAt) / 1000);
	}
	const elapsed = secs !== null && secs !== undefined ? fmtDuration(secs) : '—';
	const text = Number(task.waktu_minutes) > 0
		? t('timing.elapsedOf', {elapsed, waktu: fmtMinutes(task.waktu_minutes)})
		: elapsed;
	const badge = tm.kind === 'over' || tm.kind === 'late'
		? h('span', {class: 'badge badge-overdue'}, tm.kind === 'late' ? t('timing.breached') : t('timing.overdue'))
		: null;
	return h('div', null, h('span', null, text), badge);
}

// "Plh Kabag Persidangan" when the performer acted for a role.
export function actingMark(acting) {
	if (!acting || !acting.kind) return null;
	return h('span', {class: 'badge badge-acting'},
		acting.role ? `${actingLabel(acting.kind)} ${roleName(acting.role)}` : actingLabel(acting.kind));
}

// The performer of a task: its role, the named assignee (a disposition named one person), and who
// completed it (with the Plh/Plt mark).
export function performerCell(task) {
	return h('div', null,
		h('span', null, roleName(task.role)),
		task.assignee ? h('span', {class: 'small'}, t('task.assigneeLine', {name: userName(task.assignee)})) : null,
		task.completed_by ? h('span', {class: 'small'}, t('task.completedByLine', {name: userName(task.completed_by)}),
			task.acting ? ' ' : null, actingMark(task.acting)) : null);
}

export function caseStateBadge(code) {
	const cls = {open: 'case-open', completed: 'case-completed', kept_internal: 'case-internal'}[code] || '';
	return h('span', {class: `badge ${cls}`}, caseStateLabel(code));
}

// The first LINES lines of TEXT, at most MAX characters, for previews.
export function firstLines(text, lines = 2, max = 180) {
	const all = String(text || '').split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
	if (!all.length) return '';
	let out = all.slice(0, lines).join(' · ');
	let cut = all.length > lines;
	if (out.length > max) {
		out = out.slice(0, max).replace(/\s+\S*$/, '');
		cut = true;
	}
	return cut ? `${out}…` : out;
}

// Long text with its line breaks kept (CSS white-space: pre-wrap).
export function longText(text) {
	return h('p', {class: 'long-text'}, String(text || ''));
}

function list(x) {
	return Array.isArray(x) ? x : [];
}

function typeList(types) {
	const l = list(types);
	return l.length ? l.map(docTypeLabel).join(', ') : '—';
}

// A check result or checklist: per stage the required, present and missing types.
// ROWS: [{"stage", "required", "present", "missing", "complete"?}]
export function checkTable(rows, caption) {
	const r = list(rows);
	if (!r.length) return null;
	return h('div', {class: 'table-wrap'}, h('table', {class: 'table table-compact responsive'},
		caption ? h('caption', null, caption) : null,
		h('thead', null, h('tr', null,
			h('th', {scope: 'col'}, t('check.stage')),
			h('th', {scope: 'col'}, t('check.required')),
			h('th', {scope: 'col'}, t('check.present')),
			h('th', {scope: 'col'}, t('check.missing')),
			h('th', {scope: 'col'}, t('check.complete')))),
		h('tbody', null, r.map((s) => {
			const complete = s.complete !== undefined ? !!s.complete : list(s.missing).length === 0;
			return h('tr', null,
				cell(t('check.stage'), stageTitle(s.stage)),
				cell(t('check.required'), typeList(s.required)),
				cell(t('check.present'), typeList(s.present || s.ticked)),
				cell(t('check.missing'), list(s.missing).length
					? h('span', {class: 'text-warn'}, typeList(s.missing)) : '—'),
				cell(t('check.complete'), h('span', {class: `badge ${complete ? 'badge-ontime' : 'badge-overdue'}`},
					complete ? t('check.yes') : t('check.no'))));
		}))));
}

// The stages of a SUMMARY (context.summary of a report step, or a report artefact's data):
// accepts [{stage, documents}] or {stages: [...]} or {perencanaan: [...], ...}.
function summaryStages(summary) {
	if (!summary) return [];
	if (Array.isArray(summary)) return summary;
	if (Array.isArray(summary.stages)) return summary.stages;
	return Object.entries(summary)
		.filter(([, v]) => Array.isArray(v) || (v && Array.isArray(v.documents)))
		.map(([stage, v]) => ({stage, documents: Array.isArray(v) ? v : v.documents}));
}

// A grantee as the API gives it: a USERREF, or a bare username (report summaries).
function granteeName(u) {
	if (u === null || u === undefined) return '';
	if (typeof u !== 'object') return String(u);
	return userName(u) || String(u.id ?? '');
}

function grantsText(doc) {
	const g = list(doc.grants || doc.granted || doc.pics);
	return g.length ? g.map(granteeName).join(', ') : '—';
}

// The generated report summary: per stage a table of the documents and who was granted each.
export function summaryView(summary) {
	const stages = summaryStages(summary);
	if (!stages.length) return h('p', {class: 'empty'}, t('summary.empty'));
	return h('div', {class: 'summary'}, stages.map((s) => {
		const docs = list(s.documents);
		return h('div', {class: 'summary-stage'},
			h('h4', null, stageTitle(s.stage)),
			docs.length === 0 ? h('p', {class: 'empty'}, t('summary.noDocs')) : h('div', {class: 'table-wrap'},
				h('table', {class: 'table table-compact responsive'},
					h('caption', {class: 'visually-hidden'}, stageTitle(s.stage)),
					h('thead', null, h('tr', null,
						h('th', {scope: 'col'}, t('document.title')),
						h('th', {scope: 'col'}, t('document.type')),
						h('th', {scope: 'col', class: 'num'}, t('document.version')),
						h('th', {scope: 'col'}, t('version.sha256')),
						h('th', {scope: 'col'}, t('document.state')),
						h('th', {scope: 'col'}, t('summary.grants')))),
					h('tbody', null, docs.map((d) => h('tr', null,
						cell(t('document.title'), h('span', {class: 'doc-title'}, d.title || '—')),
						cell(t('document.type'), docTypeLabel(d.type)),
						cell(t('document.version'), d.version !== undefined && d.version !== null ? fmtNumber(d.version) : '—', 'num'),
						cell(t('version.sha256'), d.sha256
							? h('code', {class: 'hash', title: d.sha256}, d.sha256.slice(0, 12)) : '—'),
						cell(t('document.state'), d.state ? stateBadge(d.state) : '—'),
						cell(t('summary.grants'), grantsText(d))))))));
	}));
}

// Verification results: [{"id", "title"?, "result", "note"}]; TITLES maps document ids to the
// documents other artefacts named.
function verificationList(docs, titles) {
	const l = list(docs);
	if (!l.length) return null;
	const name = (d) => {
		const id = d.id ?? d.document_id;
		const known = titles && titles.get(String(id));
		if (d.title) return d.title;
		if (known) return known.type ? `${known.title} (${docTypeLabel(known.type)})` : known.title;
		return t('artefact.documentN', {id: id ?? ''});
	};
	return h('ul', {class: 'plain-list'}, l.map((d) => h('li', null,
		h('span', {class: 'doc-title'}, name(d)), ': ',
		h('span', {class: `badge ${d.result === 'noted' ? 'badge-warn' : 'badge-ontime'}`}, verifyResultLabel(d.result)),
		d.note ? h('span', null, ' — ', d.note) : null)));
}

// The documents a submission or publication carried: [{"id", "title", "type", "state", "grants"}].
function documentList(docs, withGrants) {
	const l = list(docs);
	if (!l.length) return null;
	return h('ul', {class: 'plain-list'}, l.map((d) => h('li', null,
		h('span', {class: 'doc-title'}, d.title || t('artefact.documentN', {id: d.id ?? d.document_id ?? ''})),
		d.type ? ` (${docTypeLabel(d.type)})` : null,
		d.state ? ' ' : null, d.state ? stateBadge(d.state) : null,
		withGrants ? h('span', null, ` — ${t('summary.grants')}: `,
			list(d.grants || d.users).length ? list(d.grants || d.users).map(granteeName).join(', ') : t('artefact.noPic'))
			: null)));
}

// Document id → {title, type} from the documents ARTEFACTS carry (submissions, publications,
// report summaries), so that a verification can name what it verified.
export function documentTitles(artefacts) {
	const map = new Map();
	const add = (d) => {
		if (d && d.id !== undefined && d.title) map.set(String(d.id), {title: d.title, type: d.type});
	};
	for (const a of list(artefacts)) {
		const d = a.data;
		if (!d || typeof d !== 'object') continue;
		list(d.documents).forEach(add);
		for (const s of summaryStages(d.summary || (d.stages && d.stages[0] && d.stages[0].documents ? d : null))) {
			list(s.documents).forEach(add);
		}
	}
	return map;
}

function collapsible(label, content, collapse) {
	if (!collapse) return h('div', null, h('p', {class: 'label'}, label), content);
	return h('details', {class: 'artefact-details'}, h('summary', null, label), content);
}

// What an artefact's DATA holds, by kind, shown as text and tables; null when nothing known.
function artefactData(a, opts) {
	const d = a.data;
	if (!d || typeof d !== 'object') return null;
	switch (a.kind) {
	case 'check':
		return checkTable(Array.isArray(d) ? d : (d.stages || d.checklist || d.result), t('artefact.checkResult'));
	case 'report':
		return d.summary || d.stages
			? collapsible(t('artefact.summary'), summaryView(d.summary || d), opts.collapse) : null;
	case 'decision':
		return d.answer ? h('p', null, h('span', {class: 'label'}, `${t('artefact.answer')}: `),
			textIn(d.label) || d.answer) : null;
	case 'verification':
		return verificationList(Array.isArray(d) ? d : d.documents, opts.titles);
	case 'publication':
		return h('div', null,
			list(d.stages).length ? h('p', null, t('artefact.publishedStages',
				{stages: list(d.stages).map(stageTitle).join(', ')})) : null,
			documentList(Array.isArray(d) ? d : (d.documents || d.grants), true));
	case 'submission':
		return list(d.documents).length ? h('div', null,
			h('p', null, t('artefact.submittedDocs', {n: fmtNumber(d.documents.length)})),
			documentList(d.documents, false)) : null;
	default:
		return null;
	}
}

// One artefact in full: its kind and name, step, author, addressee, time, text and data.
// OPTS: headingLevel ('h3'), collapse (fold report summaries), titles (documentTitles()).
export function artefactView(a, opts = {}) {
	const headingLevel = opts.headingLevel || 'h3';
	const to = a.to_user ? userName(a.to_user) : (a.to_role ? roleName(a.to_role) : null);
	const name = textIn(a.name);
	return h('article', {class: `artefact artefact-${a.kind || 'other'}`},
		h(headingLevel, {class: 'artefact-head'},
			h('span', {class: 'badge badge-kind'}, artefactKindLabel(a.kind)), ' ',
			name && name !== artefactKindLabel(a.kind) ? name : null),
		h('p', {class: 'artefact-meta small muted'},
			a.step ? t('artefact.fromStep', {n: a.step}) : null,
			a.step ? ' · ' : null,
			t('artefact.by', {name: userName(a.author) || '—'}),
			to ? ` · ${t('artefact.to', {name: to})}` : null,
			a.created_at ? ' · ' : null, timeEl(a.created_at)),
		a.text ? longText(a.text) : null,
		artefactData(a, opts));
}
