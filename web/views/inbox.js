// The task inbox (#/inbox): GET /api/tasks, the caller's available tasks, oldest first. Each card
// shows the meeting, the step in the UI language, who handed it over with the first lines of the
// disposition or report that came with it, since when it waits, and the time left against Waktu.
// The list is re-read every 30 seconds while the page is visible.

import {h, uid} from '../dom.js';
import {t} from '../i18n.js';
import {api} from '../api.js';
import {errorMessage} from '../errors.js';
import {fmtDate, fmtNumber, textIn, userName, roleName, artefactKindLabel} from '../format.js';
import {state} from '../state.js';
import {classificationBadge} from './common.js';
import {timeEl, timeLeftBadge, isOverdue, firstLines, actingMark} from './sop.js';

export const REFRESH_MS = 30000;

export async function renderInbox(container, route, ctx) {
	const headingId = uid('inbox-heading');
	const status = h('p', {class: 'muted small', role: 'status'});
	const body = h('div', {'aria-busy': 'true'}, h('p', {class: 'muted'}, t('common.loading')));
	container.append(
		h('div', {class: 'page-head'}, h('h1', {id: headingId, tabindex: '-1'}, t('inbox.title'))),
		h('p', {class: 'muted'}, t('inbox.intro')),
		status,
		body);

	let lastCount = null;

	// The roles the user stands in for now (Plh/Plt), to mark tasks taken in that capacity.
	const acting = new Map();
	try {
		const res = await api.acting();
		for (const a of Array.isArray(res.items) ? res.items : []) {
			if (a.active && a.user && state.user && a.user.id === state.user.id) acting.set(a.role, a.kind);
		}
	} catch {
		// Not shown then; the task itself still says its role.
	}

	async function load(first) {
		let res;
		try {
			res = await api.tasks();
		} catch (err) {
			if (first) body.replaceChildren(h('div', {class: 'alert alert-error', role: 'alert'}, errorMessage(err)));
			else status.textContent = t('inbox.refreshFailed', {error: errorMessage(err)});
			body.removeAttribute('aria-busy');
			return;
		}
		const fetchedAt = Date.now();
		const items = Array.isArray(res.items) ? res.items : [];
		ctx.setTaskCount(items.length);

		// Keep the focus on the same task across a refresh.
		const focused = document.activeElement && body.contains(document.activeElement)
			? document.activeElement.dataset.taskId : null;
		body.replaceChildren(items.length === 0
			? h('p', {class: 'empty'}, t('inbox.empty'))
			: h('ol', {class: 'task-list', 'aria-labelledby': headingId}, items.map((task) => taskCard(task, fetchedAt, acting))));
		body.removeAttribute('aria-busy');
		if (focused) {
			const again = body.querySelector(`[data-task-id="${CSS.escape(focused)}"]`);
			if (again) again.focus();
		}
		const overdue = items.filter((x) => isOverdue(x, fetchedAt)).length;
		// Announced only when the numbers change, so a screen reader is not interrupted every 30 s.
		const summary = items.length === 0 ? '' : (overdue
			? t('inbox.countOverdue', {n: fmtNumber(items.length), late: fmtNumber(overdue)})
			: t('inbox.count', {n: fmtNumber(items.length)}));
		const key = `${items.length}/${overdue}`;
		if (first || key !== lastCount) status.textContent = summary;
		lastCount = key;
	}

	await load(true);

	const timer = setInterval(() => {
		if (!container.isConnected) {
			stop();
			return;
		}
		if (document.visibilityState === 'visible') load(false);
	}, REFRESH_MS);
	const onVisible = () => {
		if (!container.isConnected) stop();
		else if (document.visibilityState === 'visible') load(false);
	};
	function stop() {
		clearInterval(timer);
		document.removeEventListener('visibilitychange', onVisible);
	}
	document.addEventListener('visibilitychange', onVisible);
	return {title: t('inbox.title')};
}

function taskCard(task, fetchedAt, acting) {
	const m = task.meeting || {};
	const overdue = isOverdue(task, fetchedAt);
	const href = `#/tasks/${encodeURIComponent(task.id)}`;
	const incoming = Array.isArray(task.incoming) ? task.incoming.filter((a) => a.text) : [];
	const from = task.handed_over_by;

	return h('li', {class: `task-card${overdue ? ' is-overdue' : ''}`},
		h('div', {class: 'task-card-head'},
			h('h2', {class: 'task-card-title'},
				h('a', {href, dataset: {taskId: task.id}},
					t('inbox.stepOf', {n: task.step}), ' — ', m.title || t('inbox.meetingN', {id: m.id ?? ''}))),
			h('div', {class: 'task-card-badges'},
				timeLeftBadge(task, fetchedAt),
				m.classification ? classificationBadge(m.classification) : null)),
		h('p', {class: 'task-step-text'}, textIn(task.step_text)),
		incoming.length ? h('div', {class: 'task-incoming'}, incoming.map((a) => h('p', null,
			h('span', {class: 'label'}, `${artefactKindLabel(a.kind)}${a.author ? ` (${userName(a.author)})` : ''}: `),
			h('q', null, firstLines(a.text))))) : null,
		h('dl', {class: 'task-meta'},
			meta(t('inbox.performer'), h('span', null, roleName(task.role),
				task.assignee ? ` · ${t('task.assigneeLine', {name: userName(task.assignee)})}` : null,
				' ', actingMark(task.acting || asActing(task, acting)))),
			from && from.user ? meta(t('inbox.handedOverBy'),
				from.step ? t('inbox.handedOverLine', {name: userName(from.user), n: from.step}) : userName(from.user)) : null,
			meta(t('inbox.availableSince'), timeEl(task.available_at)),
			task.due_at ? meta(t('inbox.dueAt'), timeEl(task.due_at)) : null,
			m.date ? meta(t('meeting.date'), h('time', {datetime: m.date}, fmtDate(m.date, 'medium'))) : null));
}

// {kind, role} when the user may do TASK only as an acting official for its role.
function asActing(task, acting) {
	const mine = state.user && Array.isArray(state.user.roles) && state.user.roles.includes(task.role);
	return !mine && acting.has(task.role) ? {kind: acting.get(task.role), role: task.role} : null;
}

function meta(label, value) {
	return h('div', null, h('dt', null, label), h('dd', null, value));
}
