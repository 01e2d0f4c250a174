// The compliance dashboard (#/compliance[?from=YYYY-MM-DD&to=YYYY-MM-DD]) for karo_hph,
// kabag_persidangan and auditor: GET /api/reports/compliance as summary cards (cases open, tasks
// completed, breaches, compliance rate), three charts (time per step against its Waktu,
// breaches per official, tasks and breaches per month), each with its numbers in a table under
// "Tampilkan data", and the cases as a table. The period is kept in the address.

import {h, uid} from '../dom.js';
import {t, locale} from '../i18n.js';
import {api} from '../api.js';
import {errorMessage} from '../errors.js';
import {fmtDate, fmtDuration, fmtMinutes, fmtNumber, userName, roleName} from '../format.js';
import {canSeeCompliance} from '../state.js';
import {inputField, checkFields, showFieldError} from '../forms.js';
import {barChart, columnChart} from './charts.js';
import {list, stepTable, officialTable, periodTable, caseTable} from './compliance.js';

const YMD = /^\d{4}-\d{2}-\d{2}$/;

// Tick steps of a time axis, in seconds: 1 s … 1 week.
const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200,
	86400, 172800, 345600, 604800];

export async function renderDashboard(container, route, ctx) {
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

	const range = {from: fmtDate(res.from, 'long'), to: fmtDate(res.to, 'long')};
	body.replaceChildren(
		h('p', {class: 'comp-range'}, t('comp.range', range)),
		summaryCards(res),
		section(t('comp.perStep'), stepChart(list(res.per_step), range), stepTable(res.per_step)),
		section(t('comp.perOfficial'), officialChart(list(res.per_official), range), officialTable(res.per_official)),
		section(t('comp.perPeriod'), monthChart(list(res.per_period), range), periodTable(res.per_period)),
		section(t('comp.perCase'), null, caseTable(res.per_case)));
	return {title: t('comp.title')};
}

// A titled card with a chart (or nothing) and the table: under the chart in "Tampilkan data",
// on its own without one.
function section(title, chart, table) {
	const id = uid('comp-sec');
	return h('section', {class: 'card comp-section', 'aria-labelledby': id},
		h('h2', {id}, title),
		chart ? [chart, h('details', {class: 'chart-data'}, h('summary', null, t('dash.showData')), table)] : table);
}

// ---- summary cards

function sum(rows, key) {
	return rows.reduce((a, x) => a + (Number(x[key]) || 0), 0);
}

function summaryCards(res) {
	const steps = list(res.per_step);
	const cases = list(res.per_case);
	const open = cases.filter((c) => c.state === 'open').length;
	const done = sum(steps, 'tasks');
	const breached = sum(steps, 'breaches');
	const openOver = sum(steps, 'open_overdue');
	// The rate counts only the tasks of steps that have a Waktu: the others cannot be late.
	const timed = steps.filter((x) => Number(x.waktu_minutes) > 0);
	const timedTasks = sum(timed, 'tasks');
	const onTime = Math.max(0, timedTasks - sum(timed, 'breaches'));
	const rate = timedTasks > 0 ? onTime / timedTasks : null;
	const pct = rate === null ? '—'
		: new Intl.NumberFormat(locale(), {style: 'percent', maximumFractionDigits: 0}).format(rate);
	const card = (label, value, hint, cls) => h('div', {class: `stat-card${cls ? ` ${cls}` : ''}`},
		h('dt', null, label),
		h('dd', {class: 'stat-value'}, value),
		hint ? h('dd', {class: 'stat-hint'}, hint) : null);
	return h('dl', {class: 'stat-cards'},
		card(t('dash.casesOpen'), fmtNumber(open), t('dash.casesOpenHint', {n: fmtNumber(cases.length)})),
		card(t('dash.tasksDone'), fmtNumber(done), t('dash.tasksDoneHint')),
		card(t('dash.breaches'), fmtNumber(breached),
			openOver ? t('dash.breachesOpenHint', {n: fmtNumber(openOver)}) : t('dash.breachesHint'),
			breached || openOver ? 'is-breached' : null),
		card(t('dash.rate'), pct, rate === null ? t('dash.rateNone')
			: t('dash.rateHint', {n: fmtNumber(onTime), total: fmtNumber(timedTasks)}),
		rate !== null && rate < 1 ? 'is-breached' : null));
}

// ---- charts

function shortDuration(seconds) {
	const v = Number(seconds) || 0;
	if (v === 0) return '0';
	if (v < 60) return t('chart.sec', {n: fmtNumber(v)});
	if (v < 3600) return t('chart.min', {n: fmtNumber(Math.round((v / 60) * 10) / 10)});
	if (v < 86400) return t('chart.hour', {n: fmtNumber(Math.round((v / 3600) * 10) / 10)});
	return t('chart.day', {n: fmtNumber(Math.round((v / 86400) * 10) / 10)});
}

function stepChart(rows, range) {
	if (rows.length === 0) return null;
	const several = new Set(rows.map((x) => x.sop_code)).size > 1;
	const chartRows = rows.map((x) => {
		const limit = Number(x.waktu_minutes) > 0 ? Number(x.waktu_minutes) * 60 : null;
		const over = (v) => limit !== null && v !== null && v !== undefined && Number(v) > limit;
		const lines = [
			several && x.sop_code ? `${t('dash.stepN', {n: x.step})} · ${x.sop_code}` : t('dash.stepN', {n: x.step}),
			roleName(x.role),
			limit !== null ? t('dash.waktuLine', {d: fmtMinutes(x.waktu_minutes)}) : t('dash.noWaktuLine'),
		];
		if (!x.tasks) {
			return {lines, marker: limit, bars: [{value: null, text: t('dash.noneDone', {n: fmtNumber(x.open || 0)})}]};
		}
		return {
			lines,
			marker: limit,
			bars: [
				{value: x.median_seconds, cls: over(x.median_seconds) ? 'chart-over' : 'chart-median',
					text: t(over(x.median_seconds) ? 'dash.medianOver' : 'dash.median', {d: fmtDuration(x.median_seconds)})},
				{value: x.worst_seconds, cls: over(x.worst_seconds) ? 'chart-over' : 'chart-worst',
					text: t(over(x.worst_seconds) ? 'dash.worstOver' : 'dash.worst', {d: fmtDuration(x.worst_seconds)})},
			],
		};
	});
	return barChart({
		title: t('dash.stepChart'),
		desc: t('dash.stepChartDesc', range),
		axisLabel: t('dash.stepAxis'),
		series: [{label: t('comp.median'), cls: 'chart-median'}, {label: t('comp.worst'), cls: 'chart-worst'},
			{label: t('dash.overWaktu'), cls: 'chart-over'}],
		markerLabel: t('dash.waktuMarker'),
		rows: chartRows,
		fmtTick: shortDuration,
		tickSteps: TIME_STEPS,
	}).element;
}

function officialChart(rows, range) {
	if (rows.length === 0) return null;
	const sorted = [...rows].sort((a, b) => (b.breaches - a.breaches) || (b.tasks - a.tasks)
		|| userName(a.user).localeCompare(userName(b.user)));
	return barChart({
		title: t('dash.officialChart'),
		desc: t('dash.officialChartDesc', range),
		axisLabel: t('dash.countAxis'),
		series: [{label: t('comp.tasks'), cls: 'chart-tasks'}, {label: t('comp.breaches'), cls: 'chart-breach'}],
		markerLabel: null,
		rows: sorted.map((x) => ({
			lines: [userName(x.user) || t('dash.unknownOfficial'), x.user && x.user.username ? x.user.username : ''].filter(Boolean),
			marker: null,
			bars: [
				{value: x.tasks, text: t('dash.tasksN', {n: fmtNumber(x.tasks)})},
				{value: x.breaches, text: t('dash.breachesN', {n: fmtNumber(x.breaches)})},
			],
		})),
		fmtTick: (v) => fmtNumber(v),
	}).element;
}

function monthChart(rows, range) {
	if (rows.length === 0) return null;
	const monthFmt = new Intl.DateTimeFormat(locale(), {month: 'short', timeZone: 'UTC'});
	return columnChart({
		title: t('dash.monthChart'),
		desc: t('dash.monthChartDesc', range),
		axisLabel: t('dash.countAxis'),
		series: [{label: t('comp.tasks'), cls: 'chart-tasks'}, {label: t('comp.breaches'), cls: 'chart-breach'}],
		groups: rows.map((x) => {
			const m = /^(\d{4})-(\d{2})$/.exec(x.month || '');
			const label = m ? [monthFmt.format(new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1))), m[1]] : [x.month || ''];
			return {
				label,
				values: [{value: x.tasks, text: fmtNumber(x.tasks || 0)}, {value: x.breaches, text: fmtNumber(x.breaches || 0)}],
			};
		}),
		fmtTick: (v) => fmtNumber(v),
	}).element;
}
