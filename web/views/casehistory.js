// "Riwayat SOP" on the meeting page: GET /api/meetings/{id}/case. The case's state and SOP
// version, a table of every task (step, performer and who completed it with Plh/Plt marks,
// available/opened/completed times, time taken against Waktu, answer), and below it every
// artefact (submissions, check results, decisions, dispositions, publications, reports,
// verifications) as text.

import {h, uid, replace} from '../dom.js';
import {t} from '../i18n.js';
import {api} from '../api.js';
import {errorMessage} from '../errors.js';
import {textIn, userName, taskStateLabel, answerLabel, fmtNumber} from '../format.js';
import {hasBureauRole} from '../state.js';
import {cell} from './common.js';
import {
	timeEl, elapsedVsWaktu, performerCell, caseStateBadge, artefactView, documentTitles, isOverdue,
} from './sop.js';

// Returns the section; its content arrives when the case has been read. onChange() is called
// after a new case has been started (the documents' states may change with it).
export function caseHistorySection(meeting) {
	const headingId = uid('case-heading');
	const body = h('div', {'aria-busy': 'true'}, h('p', {class: 'muted'}, t('common.loading')));
	const section = h('section', {class: 'card case-history', 'aria-labelledby': headingId},
		h('h2', {id: headingId}, t('case.title')),
		body);

	async function load(message) {
		let c;
		try {
			c = await api.meetingCase(meeting.id);
		} catch (err) {
			body.removeAttribute('aria-busy');
			if (err.code === 'not_found') {
				replace(body, h('p', {class: 'empty'}, t('case.none')), startButton(false));
			} else {
				body.replaceChildren(h('div', {class: 'alert alert-error', role: 'alert'}, errorMessage(err)));
			}
			return;
		}
		body.removeAttribute('aria-busy');
		replace(body,
			message ? h('p', {class: 'status-line', role: 'status'}, message) : null,
			caseView(c),
			c.state === 'completed' ? startButton(true) : null);
	}

	// A new round after a completed case (or a first case where none was started).
	function startButton(again) {
		if (!hasBureauRole()) return null;
		const button = h('button', {type: 'button', class: 'button'}, again ? t('case.startAgain') : t('case.start'));
		const err = h('p', {class: 'field-error', role: 'alert', hidden: true});
		button.addEventListener('click', async () => {
			if (again && !window.confirm(t('case.startAgainConfirm'))) return;
			button.disabled = true;
			try {
				await api.startCase(meeting.id);
				await load(t('case.started'));
			} catch (e) {
				err.textContent = errorMessage(e);
				err.hidden = false;
				button.disabled = false;
			}
		});
		return h('div', {class: 'actions'}, button, err);
	}

	load();
	return section;
}

function caseView(c) {
	const fetchedAt = Date.now();
	const tasks = Array.isArray(c.tasks) ? c.tasks : [];
	const artefacts = Array.isArray(c.artefacts) ? c.artefacts : [];
	const sop = c.sop || {};
	const mine = tasks.filter((x) => x.state === 'available' && x.can_complete);
	const breaches = tasks.filter((x) => x.breached || (x.state === 'available' && isOverdue(x, fetchedAt))).length;

	const facts = h('dl', {class: 'facts'},
		fact(t('case.state'), caseStateBadge(c.state)),
		fact(t('case.sop'), h('span', null, sop.title ? textIn(sop.title) : (sop.code || '—'),
			h('span', {class: 'small muted'}, ` (${t('case.sopVersion', {code: sop.code || '—', version: sop.version ?? '—'})})`))),
		fact(t('case.startedBy'), h('span', null, userName(c.started_by) || '—', c.started_at ? ' · ' : null, timeEl(c.started_at))),
		fact(t('case.closedAt'), c.closed_at ? timeEl(c.closed_at) : '—'),
		c.state === 'open' && Array.isArray(c.current_steps) && c.current_steps.length
			? fact(t('case.currentSteps'), c.current_steps.join(', ')) : null,
		fact(t('case.breaches'), breaches ? h('span', {class: 'badge badge-overdue'}, t('case.breachCount', {n: fmtNumber(breaches)}))
			: t('case.noBreaches')));

	const note = c.state === 'kept_internal' ? h('div', {class: 'alert alert-warn'}, t('case.keptInternalNote'))
		: (c.state === 'completed' ? h('div', {class: 'alert alert-success'}, t('case.completedNote')) : null);

	const yourTasks = mine.length ? h('div', {class: 'alert alert-info'},
		h('p', null, t('case.yourTask')),
		h('ul', {class: 'plain-list'}, mine.map((x) => h('li', null,
			h('a', {href: `#/tasks/${encodeURIComponent(x.id)}`}, t('case.openTask', {n: x.step})))))) : null;

	const table = tasks.length === 0 ? h('p', {class: 'empty'}, t('case.noTasks')) : h('div', {class: 'table-wrap'},
		h('table', {class: 'table table-compact responsive case-tasks'},
			h('caption', null, t('case.tasksCaption')),
			h('thead', null, h('tr', null,
				h('th', {scope: 'col', class: 'num'}, t('case.step')),
				h('th', {scope: 'col'}, t('case.text')),
				h('th', {scope: 'col'}, t('case.performer')),
				h('th', {scope: 'col'}, t('case.availableAt')),
				h('th', {scope: 'col'}, t('case.openedAt')),
				h('th', {scope: 'col'}, t('case.completedAt')),
				h('th', {scope: 'col'}, t('case.elapsed')),
				h('th', {scope: 'col'}, t('case.answer')))),
			h('tbody', null, tasks.map((x) => h('tr', {class: x.breached ? 'is-breached' : null},
				cell(t('case.step'), x.state === 'available' && x.can_complete
					? h('a', {href: `#/tasks/${encodeURIComponent(x.id)}`, 'aria-label': t('case.openTask', {n: x.step})}, String(x.step))
					: String(x.step), 'num'),
				cell(t('case.text'), h('div', null, h('span', null, textIn(x.step_text)),
					x.state !== 'completed' ? h('span', {class: 'small muted'}, taskStateLabel(x.state)) : null)),
				cell(t('case.performer'), performerCell(x)),
				cell(t('case.availableAt'), timeEl(x.available_at) || '—', 'nowrap'),
				cell(t('case.openedAt'), timeEl(x.opened_at) || '—', 'nowrap'),
				cell(t('case.completedAt'), timeEl(x.completed_at) || '—', 'nowrap'),
				cell(t('case.elapsed'), elapsedVsWaktu(x, fetchedAt)),
				cell(t('case.answer'), x.answer ? answerLabel(x.answer) : '—'))))));

	const artefactsId = uid('case-art');
	const titles = documentTitles(artefacts);
	const artefactList = h('section', {class: 'case-artefacts', 'aria-labelledby': artefactsId},
		h('h3', {id: artefactsId}, t('case.artefacts')),
		artefacts.length
			? artefacts.map((a) => artefactView(a, {headingLevel: 'h4', collapse: true, titles}))
			: h('p', {class: 'empty'}, t('case.noArtefacts')));

	const chartLink = c.meeting_id !== undefined && c.meeting_id !== null ? h('p', null,
		h('a', {href: `#/meetings/${encodeURIComponent(c.meeting_id)}/sop`}, t('soppage.linkFromCase'))) : null;

	return h('div', null, facts, chartLink, note, yourTasks, table, artefactList);
}

function fact(label, value) {
	return h('div', null, h('dt', null, label), h('dd', null, value));
}
