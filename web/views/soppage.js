// The SOP chart page (docs/ui.md, "The SOP chart"):
//   #/sop                  the default SOP's latest version (GET /api/sops, GET /api/sops/{id})
//   #/sop/{version_id}     one version
//   #/meetings/{id}/sop    the version the meeting's case runs on, with the case drawn on it
//                          (GET /api/meetings/{id}, GET /api/meetings/{id}/case)
// The chart itself comes from sopchart.js: one SVG per A4 landscape page. Below it, for screen
// readers and for reading on a phone, the same SOP as a plain table in <details>.

import {h, uid} from '../dom.js';
import {t} from '../i18n.js';
import {api, request} from '../api.js';
import {errorMessage} from '../errors.js';
import {textIn, fmtDate, fmtDateTime, fmtMinutes, fmtNumber} from '../format.js';
import {caseStateBadge} from './sop.js';
import {cell} from './common.js';
import {
	sopChart, caseProgress, symbolOf, taskElapsed, taskBreached, shortDuration,
} from './sopchart.js';

// The SOP meetings run by default. The API does not serve the setting (default_sop), so the
// seed's code is taken when it is stored, else the code imported first.
const DEFAULT_CODE = 'pemilihan-pengunggahan-data';

function latestOf(items, code) {
	return items.filter((x) => x.code === code).sort((a, b) => b.version - a.version)[0] || null;
}

function defaultVersion(items) {
	if (!items.length) return null;
	const seed = latestOf(items, DEFAULT_CODE);
	if (seed) return seed;
	const first = items.slice().sort((a, b) => Number(a.version_id) - Number(b.version_id))[0];
	return latestOf(items, first.code);
}

export async function renderSopPage(container, route, ctx) {
	const meetingMode = route.name === 'meetingSop';
	const view = h('div', {class: 'sop-view'});
	container.append(view);
	const crumbs = meetingMode ? h('nav', {class: 'breadcrumb', 'aria-label': t('nav.breadcrumb')},
		h('ol', null, h('li', null, h('a', {href: '#/meetings'}, t('meetings.title'))))) : null;
	const heading = h('h1', {tabindex: '-1'}, t('soppage.title'));
	const body = h('div', {'aria-busy': 'true'}, h('p', {class: 'muted'}, t('common.loading')));
	if (crumbs) view.append(crumbs);
	view.append(heading, body);

	const fail = (err, notFoundKey) => {
		body.removeAttribute('aria-busy');
		body.replaceChildren(err && err.code === 'not_found'
			? h('div', {class: 'alert alert-info'}, t(notFoundKey))
			: h('div', {class: 'alert alert-error', role: 'alert'}, errorMessage(err)));
		return {title: heading.textContent};
	};

	if (meetingMode) {
		let meeting;
		let c;
		try {
			meeting = await api.meeting(route.id);
		} catch (err) {
			heading.textContent = t('meeting.notFoundTitle');
			return fail(err, 'meeting.notFound');
		}
		crumbs.firstChild.append(
			h('li', null, h('a', {href: `#/meetings/${encodeURIComponent(meeting.id)}`}, meeting.title)),
			h('li', {'aria-current': 'page'}, t('soppage.title')));
		heading.textContent = t('soppage.caseTitle', {title: meeting.title});
		try {
			c = await api.meetingCase(meeting.id);
		} catch (err) {
			const res = fail(err, 'soppage.noCase');
			body.append(h('p', null, h('a', {href: `#/meetings/${encodeURIComponent(meeting.id)}`}, t('soppage.backToMeeting'))));
			return res;
		}
		const fetchedAt = Date.now();
		const vid = c.sop && c.sop.version_id;
		let sop;
		try {
			sop = await api.sop(vid);
		} catch (err) {
			return fail(err, 'soppage.notFound');
		}
		body.removeAttribute('aria-busy');
		const def = sop.definition || {};
		body.replaceChildren(
			sopLead(sop, def),
			toolbar(null, sop, ctx, [
				h('a', {class: 'button', href: `#/meetings/${encodeURIComponent(meeting.id)}`}, t('soppage.backToMeeting')),
				h('a', {class: 'button', href: `#/sop/${encodeURIComponent(sop.version_id)}`}, t('soppage.withoutCase')),
			]),
			caseSummary(c, def, fetchedAt),
			chartRegion(def, {caseData: c, meetingTitle: meeting.title, fetchedAt}),
			tableDetails(def, c, fetchedAt));
		return {title: heading.textContent};
	}

	let items;
	try {
		const list = await request('GET', '/api/sops');
		items = Array.isArray(list && list.items) ? list.items : [];
	} catch (err) {
		return fail(err, 'soppage.none');
	}
	let vid = route.id;
	if (!vid) {
		const d = defaultVersion(items);
		if (!d) {
			body.removeAttribute('aria-busy');
			body.replaceChildren(h('p', {class: 'empty'}, t('soppage.none')));
			return {title: heading.textContent};
		}
		vid = d.version_id;
	}
	let sop;
	try {
		sop = await api.sop(vid);
	} catch (err) {
		body.removeAttribute('aria-busy');
		body.replaceChildren(
			err.code === 'not_found' ? h('div', {class: 'alert alert-info'}, t('soppage.notFound'))
				: h('div', {class: 'alert alert-error', role: 'alert'}, errorMessage(err)),
			items.length ? toolbar(items, null, ctx, []) : null);
		return {title: heading.textContent};
	}
	body.removeAttribute('aria-busy');
	const def = sop.definition || {};
	body.replaceChildren(
		sopLead(sop, def),
		toolbar(items, sop, ctx, []),
		chartRegion(def, {}),
		tableDetails(def, null));
	return {title: `${t('soppage.title')}: ${textIn(def.header && def.header.title) || sop.code}`};
}

function sopLead(sop, def) {
	const hd = def.header || {};
	return h('p', {class: 'lead'},
		h('span', {class: 'label'}, textIn(hd.title) || sop.code), ' ',
		h('span', {class: 'muted'}, t('soppage.versionLine', {
			code: sop.code || def.code || '—', version: fmtNumber(sop.version ?? def.version ?? 0), number: textIn(hd.number) || '—',
		})));
}

// The version selector (when ITEMS are given), the print button and EXTRA links.
function toolbar(items, sop, ctx, extra) {
	const bar = h('div', {class: 'sop-toolbar'});
	if (items && items.length) {
		const id = uid('sop-version');
		const select = h('select', {id, name: 'version'},
			items.slice().sort((a, b) => (a.code === b.code ? b.version - a.version : String(a.code).localeCompare(String(b.code))))
				.map((x) => h('option', {value: String(x.version_id)}, t('soppage.versionOption', {
					title: x.title || x.code, version: fmtNumber(x.version), date: x.imported_at ? fmtDateTime(x.imported_at) : '—',
				}))));
		if (sop) select.value = String(sop.version_id);
		const form = h('form', {class: 'sop-version-form', novalidate: true},
			h('div', {class: 'field'}, h('label', {for: id}, t('soppage.version')), select),
			h('button', {type: 'submit', class: 'button'}, t('soppage.show')));
		form.addEventListener('submit', (e) => {
			e.preventDefault();
			ctx.navigate(`#/sop/${encodeURIComponent(select.value)}`);
		});
		bar.append(form);
	}
	if (sop) {
		const hintId = uid('print-hint');
		const print = h('button', {type: 'button', class: 'button button-primary', 'aria-describedby': hintId}, t('soppage.print'));
		print.addEventListener('click', () => window.print());
		bar.append(h('div', {class: 'sop-print'}, print, h('p', {id: hintId, class: 'hint'}, t('soppage.printHint'))));
	}
	if (extra.length) bar.append(h('div', {class: 'actions'}, extra));
	return bar;
}

function chartRegion(def, opts) {
	return h('div', {class: 'sopchart-scroll', role: 'region', tabindex: '0', 'aria-label': t('soppage.chartRegion')},
		sopChart(def, opts));
}

// ---- the case in words

const STATUS_KEYS = {done: 'soppage.status.done', current: 'soppage.status.current', cancelled: 'soppage.status.cancelled', none: 'soppage.status.none'};

function caseSummary(c, def, fetchedAt) {
	const prog = caseProgress(c, fetchedAt);
	const steps = Array.isArray(def.steps) ? def.steps : [];
	const by = {done: [], current: [], none: []};
	for (const s of steps) {
		const e = prog.steps.get(s.number);
		const st = e ? e.status : 'none';
		(by[st === 'cancelled' ? 'none' : st] || by.none).push(s.number);
	}
	const breaches = (c.tasks || []).filter((x) => taskBreached(x, fetchedAt)).length;
	return h('div', {class: 'sop-case-summary'},
		h('p', null, h('span', {class: 'label'}, `${t('case.state')}: `), caseStateBadge(c.state)),
		h('p', null, t('soppage.summary', {
			done: by.done.join(', ') || '—', current: by.current.join(', ') || '—', none: by.none.join(', ') || '—',
		})),
		breaches ? h('p', null, h('span', {class: 'badge badge-overdue'}, t('case.breachCount', {n: fmtNumber(breaches)}))) : null);
}

// ---- the same SOP as a table

function targetText(next) {
	if (!next) return '—';
	if (next.step !== undefined && next.step !== null) return t('soppage.toStep', {n: next.step});
	return t(next.end === 'kept_internal' ? 'soppage.toEnd.kept_internal' : 'soppage.toEnd.completed');
}

function symbolText(step) {
	const s = symbolOf(step);
	if (s === 'terminator') return step.start ? t('soppage.sym.start') : t('soppage.sym.end');
	return t(`soppage.sym.${s}`);
}

function roleTitle(def, code) {
	const r = (def.roles || []).find((x) => x.code === code);
	if (!r) return code;
	return r.column ? textIn(r.column) : textIn(r.title);
}

function actualText(step, e, fetchedAt) {
	const task = e ? (e.open || e.lastDone) : null;
	if (!task) return '—';
	const elapsed = taskElapsed(task, fetchedAt);
	const actual = elapsed === null ? '—' : shortDuration(elapsed);
	const std = Number(step.waktu_minutes) > 0 ? shortDuration(step.waktu_minutes * 60) : null;
	const text = std ? `${actual} / ${std}` : actual;
	return h('div', null,
		h('span', null, e.open ? t('sopchart.running', {d: text}) : text),
		taskBreached(task, fetchedAt) ? h('span', {class: 'badge badge-overdue'}, t('timing.breached')) : null);
}

function identityList(def) {
	const hd = def.header || {};
	const ap = hd.approved_by || {};
	const list = (x) => {
		const l = (Array.isArray(x) ? x : []).map(textIn).filter(Boolean);
		return l.length ? h('ol', null, l.map((v) => h('li', null, v))) : '—';
	};
	const pair = (label, value) => h('div', null, h('dt', null, label), h('dd', null, value));
	return h('dl', {class: 'facts sop-identity'},
		pair(t('sopchart.id.organisation'), textIn(hd.organisation) || '—'),
		pair(t('sopchart.id.unit'), textIn(hd.unit) || '—'),
		pair(t('sopchart.id.number'), textIn(hd.number) || '—'),
		pair(t('sopchart.id.made'), hd.made ? fmtDate(hd.made) : '—'),
		pair(t('sopchart.id.revised'), hd.revised
			? `${fmtDate(hd.revised)}${Number(hd.revision) > 0 ? ` (${t('sopchart.revisionN', {n: fmtNumber(hd.revision)})})` : ''}` : '—'),
		pair(t('sopchart.id.effective'), hd.effective ? fmtDate(hd.effective) : '—'),
		pair(t('sopchart.id.approvedBy'), [textIn(ap.title), textIn(ap.name), textIn(ap.id)].filter(Boolean).join(', ') || '—'),
		pair(t('sopchart.id.name'), textIn(hd.title) || '—'),
		pair(t('sopchart.id.legalBasis'), list(hd.legal_basis)),
		pair(t('sopchart.id.qualifications'), list(hd.qualifications)),
		pair(t('sopchart.id.related'), list(hd.related)),
		pair(t('sopchart.id.equipment'), list(hd.equipment)),
		pair(t('sopchart.id.warning'), textIn(hd.warning) || '—'),
		pair(t('sopchart.id.recordKeeping'), list(hd.record_keeping)));
}

function tableDetails(def, c, fetchedAt = Date.now()) {
	const prog = c ? caseProgress(c, fetchedAt) : null;
	const steps = Array.isArray(def.steps) ? def.steps : [];
	const identityId = uid('sop-identity');
	const table = h('div', {class: 'table-wrap'}, h('table', {class: 'table table-compact responsive sop-steps'},
		h('caption', null, t('soppage.tableCaption')),
		h('thead', null, h('tr', null,
			h('th', {scope: 'col', class: 'num'}, t('sopchart.col.no')),
			h('th', {scope: 'col'}, t('sopchart.col.act')),
			h('th', {scope: 'col'}, t('soppage.col.performer')),
			h('th', {scope: 'col'}, t('soppage.col.symbol')),
			h('th', {scope: 'col'}, t('soppage.col.next')),
			h('th', {scope: 'col'}, t('sopchart.col.kel')),
			h('th', {scope: 'col'}, t('sopchart.col.waktu')),
			h('th', {scope: 'col'}, t('sopchart.col.out')),
			h('th', {scope: 'col'}, t('sopchart.col.note')),
			prog ? h('th', {scope: 'col'}, t('soppage.col.status')) : null,
			prog ? h('th', {scope: 'col'}, t('soppage.col.actual')) : null)),
		h('tbody', null, steps.map((s) => {
			const e = prog ? prog.steps.get(s.number) : null;
			const st = prog ? (e ? e.status : 'none') : null;
			const next = s.kind === 'decision'
				? h('ul', {class: 'plain-list'}, (s.answers || []).map((a) => h('li', null,
					`${textIn(a.label) || a.code}: ${targetText(a.next)}`,
					e && e.answers.has(a.code) ? h('span', null, ' ', h('span', {class: 'badge badge-ontime'}, t('soppage.chosen'))) : null)))
				: targetText(s.next);
			const performers = [roleTitle(def, s.role), ...(s.also || []).map((r) => roleTitle(def, r))].join(', ');
			return h('tr', {class: st === 'current' ? 'is-current' : null},
				cell(t('sopchart.col.no'), String(s.number), 'num'),
				cell(t('sopchart.col.act'), textIn(s.text)),
				cell(t('soppage.col.performer'), performers),
				cell(t('soppage.col.symbol'), symbolText(s)),
				cell(t('soppage.col.next'), next),
				cell(t('sopchart.col.kel'), (s.inputs || []).map((x) => textIn(x.name) || x.code).join(', ') || '—'),
				cell(t('sopchart.col.waktu'), Number(s.waktu_minutes) > 0 ? fmtMinutes(s.waktu_minutes) : '—'),
				cell(t('sopchart.col.out'), s.output ? textIn(s.output.name) || s.output.code : '—'),
				cell(t('sopchart.col.note'), s.note ? textIn(s.note) : '—'),
				prog ? cell(t('soppage.col.status'), t(STATUS_KEYS[st] || STATUS_KEYS.none)) : null,
				prog ? cell(t('soppage.col.actual'), actualText(s, e, fetchedAt)) : null);
		}))));
	return h('details', {class: 'sop-as-table card'},
		h('summary', null, t('soppage.asTable')),
		h('h2', {id: identityId}, t('sopchart.identityHeading')),
		identityList(def),
		table);
}
