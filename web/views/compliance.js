// The Mutu Baku compliance figures as tables (GET /api/reports/compliance): per step, per
// official, per month and per case. The dashboard (dashboard.js) shows the first three under
// their charts ("Tampilkan data") and the last one on its own.

import {h} from '../dom.js';
import {t} from '../i18n.js';
import {fmtDuration, fmtMinutes, fmtMonth, fmtNumber, textIn, userName, roleName} from '../format.js';
import {hasBureauRole} from '../state.js';
import {cell} from './common.js';
import {caseStateBadge, timeEl} from './sop.js';

export function list(x) {
	return Array.isArray(x) ? x : [];
}

export function dur(s) {
	return s === null || s === undefined ? '—' : fmtDuration(s);
}

export function num(n) {
	return n === null || n === undefined ? '—' : fmtNumber(n);
}

// A breach count that stands out when above zero (text, not colour alone: the number is there).
export function breaches(n) {
	if (!n) return num(n);
	return h('span', {class: 'badge badge-overdue'}, t('comp.breachN', {n: fmtNumber(n)}));
}

function table(caption, head, body) {
	return h('div', {class: 'table-wrap'}, h('table', {class: 'table table-compact responsive'},
		h('caption', {class: 'visually-hidden'}, caption),
		h('thead', null, h('tr', null, head.map(([label, cls]) => h('th', {scope: 'col', class: cls || null}, label)))),
		h('tbody', null, body)));
}

function empty(rows, build) {
	return rows.length ? build() : h('p', {class: 'empty'}, t('comp.noData'));
}

export function stepTable(rows) {
	const r = list(rows);
	// The SOP's code is shown only when the report spans several SOPs.
	const several = new Set(r.map((x) => x.sop_code)).size > 1;
	const c = {
		step: t('comp.step'), text: t('comp.text'), role: t('comp.role'), waktu: t('task.waktu'), tasks: t('comp.tasks'),
		median: t('comp.median'), worst: t('comp.worst'), breaches: t('comp.breaches'), open: t('comp.open'),
		openOverdue: t('comp.openOverdue'),
	};
	return empty(r, () => table(t('comp.perStep'),
		[[c.step, 'num'], [c.text], [c.role], [c.waktu], [c.tasks, 'num'], [c.median, 'num'], [c.worst, 'num'],
			[c.breaches, 'num'], [c.open, 'num'], [c.openOverdue, 'num']],
		r.map((x) => h('tr', {class: x.breaches || x.open_overdue ? 'is-breached' : null},
			cell(c.step, h('div', null, h('span', null, String(x.step)),
				several && x.sop_code ? h('span', {class: 'small muted'}, x.sop_code) : null), 'num'),
			cell(c.text, textIn(x.text)),
			cell(c.role, roleName(x.role)),
			cell(c.waktu, Number(x.waktu_minutes) > 0 ? fmtMinutes(x.waktu_minutes) : t('task.noWaktu')),
			cell(c.tasks, num(x.tasks), 'num'),
			cell(c.median, dur(x.median_seconds), 'num nowrap'),
			cell(c.worst, dur(x.worst_seconds), 'num nowrap'),
			cell(c.breaches, breaches(x.breaches), 'num'),
			cell(c.open, num(x.open), 'num'),
			cell(c.openOverdue, breaches(x.open_overdue), 'num')))));
}

export function officialTable(rows) {
	const r = list(rows);
	const c = {who: t('comp.official'), tasks: t('comp.tasks'), breaches: t('comp.breaches'), median: t('comp.median')};
	return empty(r, () => table(t('comp.perOfficial'),
		[[c.who], [c.tasks, 'num'], [c.breaches, 'num'], [c.median, 'num']],
		r.map((x) => h('tr', {class: x.breaches ? 'is-breached' : null},
			cell(c.who, h('div', null, h('span', null, userName(x.user) || '—'),
				x.user && x.user.username ? h('span', {class: 'small muted'}, x.user.username) : null)),
			cell(c.tasks, num(x.tasks), 'num'),
			cell(c.breaches, breaches(x.breaches), 'num'),
			cell(c.median, dur(x.median_seconds), 'num nowrap')))));
}

export function periodTable(rows) {
	const r = list(rows);
	const c = {month: t('comp.month'), tasks: t('comp.tasks'), breaches: t('comp.breaches'),
		done: t('comp.casesCompleted'), internal: t('comp.casesInternal')};
	return empty(r, () => table(t('comp.perPeriod'),
		[[c.month], [c.tasks, 'num'], [c.breaches, 'num'], [c.done, 'num'], [c.internal, 'num']],
		r.map((x) => h('tr', null,
			cell(c.month, fmtMonth(x.month)),
			cell(c.tasks, num(x.tasks), 'num'),
			cell(c.breaches, breaches(x.breaches), 'num'),
			cell(c.done, num(x.cases_completed), 'num'),
			cell(c.internal, num(x.cases_kept_internal), 'num')))));
}

export function caseTable(rows) {
	const r = list(rows);
	const c = {meeting: t('comp.meeting'), state: t('case.state'), tasks: t('comp.tasks'), breaches: t('comp.breaches'),
		started: t('comp.started'), closed: t('comp.closed'), elapsed: t('comp.elapsed')};
	return empty(r, () => table(t('comp.perCase'),
		[[c.meeting], [c.state], [c.tasks, 'num'], [c.breaches, 'num'], [c.started], [c.closed], [c.elapsed, 'num']],
		r.map((x) => h('tr', {class: x.breaches ? 'is-breached' : null},
			cell(c.meeting, x.meeting_id !== undefined && hasBureauRole()
				? h('a', {href: `#/meetings/${encodeURIComponent(x.meeting_id)}`}, x.meeting_title || t('inbox.meetingN', {id: x.meeting_id}))
				: (x.meeting_title || t('inbox.meetingN', {id: x.meeting_id ?? ''}))),
			cell(c.state, caseStateBadge(x.state)),
			cell(c.tasks, num(x.tasks), 'num'),
			cell(c.breaches, breaches(x.breaches), 'num'),
			cell(c.started, timeEl(x.started_at) || '—', 'nowrap'),
			cell(c.closed, timeEl(x.closed_at) || '—', 'nowrap'),
			cell(c.elapsed, dur(x.elapsed_seconds), 'num nowrap')))));
}
