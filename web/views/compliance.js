// Mutu Baku compliance (#/compliance[?from=YYYY-MM-DD&to=YYYY-MM-DD]): GET /api/reports/compliance
// for karo_hph, kabag_persidangan and auditor. Tables per step, per case, per official and per
// month. The period is kept in the address so that a report can be bookmarked.

import {h, uid} from '../dom.js';
import {t} from '../i18n.js';
import {api} from '../api.js';
import {errorMessage} from '../errors.js';
import {
	fmtDate, fmtDuration, fmtMinutes, fmtMonth, fmtNumber, textIn, userName, roleName,
} from '../format.js';
import {canSeeCompliance, hasBureauRole} from '../state.js';
import {inputField, checkFields, showFieldError} from '../forms.js';
import {cell} from './common.js';
import {caseStateBadge, timeEl} from './sop.js';

const YMD = /^\d{4}-\d{2}-\d{2}$/;

export async function renderCompliance(container, route, ctx) {
	const headingId = uid('comp-heading');
	container.append(h('div', {class: 'page-head'}, h('h1', {id: headingId, tabindex: '-1'}, t('comp.title'))));
	if (!canSeeCompliance()) {
		container.append(h('div', {class: 'alert alert-info'}, t('comp.notAllowed')));
		return {title: t('comp.title')};
	}
	container.append(h('p', {class: 'muted'}, t('comp.intro')));

	const fromQ = route.query.get('from') || '';
	const toQ = route.query.get('to') || '';
	const validDate = (v) => (v === '' || YMD.test(v) ? null : t('form.dateFormat'));
	const from = inputField({name: 'from', label: t('comp.from'), type: 'date', value: fromQ, validate: validDate});
	const to = inputField({name: 'to', label: t('comp.to'), type: 'date', value: toQ, validate: validDate});
	const submit = h('button', {type: 'submit', class: 'button button-primary'}, t('comp.show'));
	const form = h('form', {class: 'card form comp-form', novalidate: true, 'aria-label': t('comp.period')},
		h('div', {class: 'comp-period'}, from.wrap, to.wrap, h('div', {class: 'actions'}, submit)),
		h('p', {class: 'hint'}, t('comp.periodHint')));
	const body = h('div', {'aria-live': 'polite', 'aria-busy': 'true'}, h('p', {class: 'muted'}, t('common.loading')));
	container.append(form, body);

	form.addEventListener('submit', (ev) => {
		ev.preventDefault();
		if (!checkFields([from, to])) return;
		if (from.value() && to.value() && from.value() > to.value()) {
			to.setError(t('comp.toBeforeFrom'));
			to.input.focus();
			return;
		}
		const q = new URLSearchParams();
		if (from.value()) q.set('from', from.value());
		if (to.value()) q.set('to', to.value());
		const qs = q.toString();
		ctx.navigate(`#/compliance${qs ? `?${qs}` : ''}`);
	});

	let res;
	try {
		res = await api.compliance(fromQ, toQ);
	} catch (err) {
		body.removeAttribute('aria-busy');
		const msg = errorMessage(err);
		if (!showFieldError([from, to], err, msg)) {
			body.replaceChildren(h('div', {class: 'alert alert-error', role: 'alert'}, msg));
		} else {
			body.replaceChildren();
		}
		return {title: t('comp.title')};
	}
	body.removeAttribute('aria-busy');
	if (!fromQ && res.from) from.input.value = res.from;
	if (!toQ && res.to) to.input.value = res.to;

	body.replaceChildren(
		h('p', {class: 'comp-range'}, t('comp.range', {from: fmtDate(res.from, 'long'), to: fmtDate(res.to, 'long')})),
		perStep(res.per_step),
		perOfficial(res.per_official),
		perPeriod(res.per_period),
		perCase(res.per_case));
	return {title: t('comp.title')};
}

function list(x) {
	return Array.isArray(x) ? x : [];
}

function dur(s) {
	return s === null || s === undefined ? '—' : fmtDuration(s);
}

function num(n) {
	return n === null || n === undefined ? '—' : fmtNumber(n);
}

// A breach count that stands out when above zero (text, not colour alone: the number is there).
function breaches(n) {
	if (!n) return num(n);
	return h('span', {class: 'badge badge-overdue'}, t('comp.breachN', {n: fmtNumber(n)}));
}

function section(title, rows, table) {
	const id = uid('comp-sec');
	return h('section', {class: 'card comp-section', 'aria-labelledby': id},
		h('h2', {id}, title),
		rows.length ? h('div', {class: 'table-wrap'}, table) : h('p', {class: 'empty'}, t('comp.noData')));
}

function thead(...cols) {
	return h('thead', null, h('tr', null, cols.map(([label, cls]) => h('th', {scope: 'col', class: cls || null}, label))));
}

function perStep(rows) {
	const r = list(rows);
	// The SOP's code is shown only when the report spans several SOPs.
	const several = new Set(r.map((x) => x.sop_code)).size > 1;
	const c = {
		step: t('comp.step'), text: t('comp.text'), role: t('comp.role'), waktu: t('task.waktu'), tasks: t('comp.tasks'),
		median: t('comp.median'), worst: t('comp.worst'), breaches: t('comp.breaches'), open: t('comp.open'),
		openOverdue: t('comp.openOverdue'),
	};
	return section(t('comp.perStep'), r, h('table', {class: 'table table-compact responsive'},
		h('caption', {class: 'visually-hidden'}, t('comp.perStep')),
		thead([c.step, 'num'], [c.text], [c.role], [c.waktu], [c.tasks, 'num'], [c.median, 'num'], [c.worst, 'num'],
			[c.breaches, 'num'], [c.open, 'num'], [c.openOverdue, 'num']),
		h('tbody', null, r.map((x) => h('tr', {class: x.breaches || x.open_overdue ? 'is-breached' : null},
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
			cell(c.openOverdue, breaches(x.open_overdue), 'num'))))));
}

function perOfficial(rows) {
	const r = list(rows);
	const c = {who: t('comp.official'), tasks: t('comp.tasks'), breaches: t('comp.breaches'), median: t('comp.median')};
	return section(t('comp.perOfficial'), r, h('table', {class: 'table table-compact responsive'},
		h('caption', {class: 'visually-hidden'}, t('comp.perOfficial')),
		thead([c.who], [c.tasks, 'num'], [c.breaches, 'num'], [c.median, 'num']),
		h('tbody', null, r.map((x) => h('tr', {class: x.breaches ? 'is-breached' : null},
			cell(c.who, h('div', null, h('span', null, userName(x.user) || '—'),
				x.user && x.user.username ? h('span', {class: 'small muted'}, x.user.username) : null)),
			cell(c.tasks, num(x.tasks), 'num'),
			cell(c.breaches, breaches(x.breaches), 'num'),
			cell(c.median, dur(x.median_seconds), 'num nowrap'))))));
}

function perPeriod(rows) {
	const r = list(rows);
	const c = {month: t('comp.month'), tasks: t('comp.tasks'), breaches: t('comp.breaches'),
		done: t('comp.casesCompleted'), internal: t('comp.casesInternal')};
	return section(t('comp.perPeriod'), r, h('table', {class: 'table table-compact responsive'},
		h('caption', {class: 'visually-hidden'}, t('comp.perPeriod')),
		thead([c.month], [c.tasks, 'num'], [c.breaches, 'num'], [c.done, 'num'], [c.internal, 'num']),
		h('tbody', null, r.map((x) => h('tr', null,
			cell(c.month, fmtMonth(x.month)),
			cell(c.tasks, num(x.tasks), 'num'),
			cell(c.breaches, breaches(x.breaches), 'num'),
			cell(c.done, num(x.cases_completed), 'num'),
			cell(c.internal, num(x.cases_kept_internal), 'num'))))));
}

function perCase(rows) {
	const r = list(rows);
	const c = {meeting: t('comp.meeting'), state: t('case.state'), tasks: t('comp.tasks'), breaches: t('comp.breaches'),
		started: t('comp.started'), closed: t('comp.closed'), elapsed: t('comp.elapsed')};
	return section(t('comp.perCase'), r, h('table', {class: 'table table-compact responsive'},
		h('caption', {class: 'visually-hidden'}, t('comp.perCase')),
		thead([c.meeting], [c.state], [c.tasks, 'num'], [c.breaches, 'num'], [c.started], [c.closed], [c.elapsed, 'num']),
		h('tbody', null, r.map((x) => h('tr', {class: x.breaches ? 'is-breached' : null},
			cell(c.meeting, x.meeting_id !== undefined && hasBureauRole()
				? h('a', {href: `#/meetings/${encodeURIComponent(x.meeting_id)}`}, x.meeting_title || t('inbox.meetingN', {id: x.meeting_id}))
				: (x.meeting_title || t('inbox.meetingN', {id: x.meeting_id ?? ''}))),
			cell(c.state, caseStateBadge(x.state)),
			cell(c.tasks, num(x.tasks), 'num'),
			cell(c.breaches, breaches(x.breaches), 'num'),
			cell(c.started, timeEl(x.started_at) || '—', 'nowrap'),
			cell(c.closed, timeEl(x.closed_at) || '—', 'nowrap'),
			cell(c.elapsed, dur(x.elapsed_seconds), 'num nowrap'))))));
}
