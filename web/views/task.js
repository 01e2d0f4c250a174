// One task (#/tasks/{id}): GET /api/tasks/{id} (opening it records opened_at on the server). The
// step, its meeting, what came in with it (disposition, report and its summary, check results),
// its Mutu Baku (Kelengkapan and whether the case holds each, Waktu and the time taken so far,
// Output), and one form part per action of the step, sent together as one
// POST /api/tasks/{id}/complete. After success the inbox is shown with a confirmation.

import {h, uid, append} from '../dom.js';
import {t} from '../i18n.js';
import {api} from '../api.js';
import {errorMessage, taskErrorMessage} from '../errors.js';
import {
	fmtDate, fmtDuration, fmtMinutes, textIn, userName, roleName, actionLabel, taskStateLabel, answerLabel,
} from '../format.js';
import {classificationBadge} from './common.js';
import {timeEl, timeLeftBadge, taskTiming, artefactView, actingMark} from './sop.js';
import {ACTIONS, submitLabel} from './actions.js';
import {directoryCache} from './picpicker.js';

export async function renderTask(container, route, ctx) {
	const crumbs = h('nav', {class: 'breadcrumb', 'aria-label': t('nav.breadcrumb')},
		h('ol', null, h('li', null, h('a', {href: '#/inbox'}, t('inbox.title')))));
	const heading = h('h1', {tabindex: '-1'}, t('common.loading'));
	container.append(crumbs, heading);

	let task;
	try {
		task = await api.task(route.id);
	} catch (err) {
		heading.textContent = err.code === 'not_found' ? t('task.notFoundTitle') : t('task.errorTitle');
		container.append(
			h('div', {class: err.code === 'not_found' ? 'alert alert-info' : 'alert alert-error', role: 'alert'},
				err.code === 'not_found' ? t('task.notFound') : errorMessage(err)),
			h('p', null, h('a', {href: '#/inbox'}, t('task.backToInbox'))));
		return {title: heading.textContent};
	}
	const fetchedAt = Date.now();
	const m = task.meeting || {};
	const meetingHref = `#/meetings/${encodeURIComponent(m.id)}`;
	const title = t('task.heading', {n: task.step});
	heading.textContent = title;
	crumbs.firstChild.append(h('li', {'aria-current': 'page'}, title));

	const actions = (Array.isArray(task.actions) ? task.actions : []).filter((a) => ACTIONS[a]);
	const open = task.state === 'available';

	append(container, [
		h('p', {class: 'lead'}, textIn(task.step_text)),
		statusAlert(task, fetchedAt),
		factsCard(task, fetchedAt, meetingHref),
		incomingSection(task),
		mutuBakuSection(task, fetchedAt)]);

	if (open && task.can_complete && actions.length) {
		container.append(completionForm(task, actions, meetingHref, ctx));
	} else if (open && !task.can_complete) {
		container.append(h('div', {class: 'alert alert-info'}, t('task.notYours')));
	}
	return {title};
}

function statusAlert(task, fetchedAt) {
	if (task.state === 'completed') {
		return h('div', {class: 'alert alert-success'},
			task.completed_by
				? t('task.completedBy', {name: userName(task.completed_by)})
				: t('task.completed'),
			' ', timeEl(task.completed_at), task.acting ? ' ' : null, actingMark(task.acting),
			task.answer ? h('p', null, t('task.answerLine', {answer: answerLabel(task.answer)})) : null);
	}
	if (task.state === 'cancelled') return h('div', {class: 'alert alert-info'}, t('task.cancelled'));
	const tm = taskTiming(task, fetchedAt);
	if (tm.kind === 'over') {
		return h('div', {class: 'alert alert-error alert-overdue'},
			h('strong', null, t('timing.overdue')), ' — ',
			tm.seconds ? t('task.overdueLine', {d: fmtDuration(tm.seconds), waktu: fmtMinutes(task.waktu_minutes)})
				: t('task.breachedLine'));
	}
	return null;
}

function fact(label, value) {
	return h('div', null, h('dt', null, label), h('dd', null, value === null || value === undefined || value === '' ? '—' : value));
}

function factsCard(task, fetchedAt, meetingHref) {
	const m = task.meeting || {};
	const headingId = uid('task-facts');
	const from = task.handed_over_by;
	return h('section', {class: 'card', 'aria-labelledby': headingId},
		h('h2', {id: headingId}, t('task.facts')),
		h('dl', {class: 'facts'},
			fact(t('task.meeting'), h('a', {href: meetingHref}, m.title || meetingHref)),
			fact(t('meeting.date'), m.date ? h('time', {datetime: m.date}, fmtDate(m.date, 'long')) : null),
			fact(t('meeting.classification'), m.classification ? classificationBadge(m.classification) : null),
			fact(t('task.step'), String(task.step)),
			fact(t('task.actions'), (task.actions || []).map(actionLabel).join(', ')),
			fact(t('inbox.performer'), h('span', null, roleName(task.role),
				task.assignee ? ` · ${t('task.assigneeLine', {name: userName(task.assignee)})}` : null)),
			fact(t('inbox.handedOverBy'), from && from.user
				? (from.step ? t('inbox.handedOverLine', {name: userName(from.user), n: from.step}) : userName(from.user))
				: null),
			fact(t('task.state'), taskStateLabel(task.state)),
			fact(t('inbox.availableSince'), timeEl(task.available_at)),
			fact(t('task.openedAt'), timeEl(task.opened_at)),
			task.completed_at ? fact(t('task.completedAt'), timeEl(task.completed_at)) : null));
}

function incomingSection(task) {
	const incoming = Array.isArray(task.incoming) ? task.incoming : [];
	if (!incoming.length) return null;
	const headingId = uid('task-in');
	return h('section', {class: 'card', 'aria-labelledby': headingId},
		h('h2', {id: headingId}, t('task.incoming')),
		incoming.map((a) => artefactView(a)));
}

function mutuBakuSection(task, fetchedAt) {
	const headingId = uid('task-mb');
	const inputs = Array.isArray(task.inputs) ? task.inputs : [];
	const elapsed = task.elapsed_seconds !== null && task.elapsed_seconds !== undefined
		? Number(task.elapsed_seconds) + (task.state === 'available' ? Math.max(0, (Date.now() - fetchedAt) / 1000) : 0)
		: null;
	return h('section', {class: 'card', 'aria-labelledby': headingId},
		h('h2', {id: headingId}, t('task.mutuBaku')),
		h('dl', {class: 'facts'},
			fact(t('task.kelengkapan'), inputs.length
				? h('ul', {class: 'plain-list'}, inputs.map((i) => h('li', null, textIn(i.name) || i.code, ' ',
					h('span', {class: `badge ${i.present ? 'badge-ontime' : 'badge-missing'}`},
						i.present ? t('task.inputPresent') : t('task.inputMissing')))))
				: t('task.none')),
			fact(t('task.waktu'), Number(task.waktu_minutes) > 0 ? fmtMinutes(task.waktu_minutes) : t('task.noWaktu')),
			task.due_at ? fact(t('inbox.dueAt'), timeEl(task.due_at)) : null,
			fact(t('task.elapsed'), h('span', null, elapsed !== null ? fmtDuration(elapsed) : null, ' ',
				timeLeftBadge(task, fetchedAt))),
			fact(t('task.output'), task.output ? (textIn(task.output.name) || task.output.code) : t('task.none'))));
}

// The step's form: one part per action, one submit.
function completionForm(task, actions, meetingHref, ctx) {
	const context = task.context || {};
	const env = {meetingHref, search: directoryCache()};
	const parts = actions.map((a) => ACTIONS[a](task, context, env));
	const alertId = uid('task-alert');
	const alert = h('div', {id: alertId, class: 'alert alert-error', role: 'alert', tabindex: '-1', hidden: true});
	const submit = h('button', {type: 'submit', class: 'button button-primary'}, submitLabel(actions, null));
	const form = h('form', {class: 'form task-form', novalidate: true, 'aria-label': t('task.formLabel')},
		parts.map((p) => p.element),
		h('div', {class: 'card submit-card'},
			h('p', {class: 'hint'}, t('form.requiredNote')),
			alert,
			h('div', {class: 'actions'}, submit,
				h('a', {class: 'button', href: '#/inbox'}, t('task.later')))));

	// Name the next performer on the button when the SOP definition says who it is.
	nextRole(task).then((role) => {
		if (role) submit.textContent = submitLabel(actions, role);
	});

	let busy = false;
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		if (busy) return;
		alert.hidden = true;
		let first = null;
		for (const p of parts) {
			const bad = p.validate();
			if (bad && !first) first = bad;
		}
		if (first) {
			first.focus();
			return;
		}
		const questions = parts.map((p) => p.confirmMessage()).filter(Boolean);
		if (questions.length && !window.confirm(questions.join('\n\n'))) return;

		const payload = Object.assign({}, ...parts.map((p) => p.values()));
		busy = true;
		submit.disabled = true;
		form.setAttribute('aria-busy', 'true');
		try {
			await api.completeTask(task.id, payload);
			ctx.flash(t('task.done', {n: task.step, meeting: (task.meeting && task.meeting.title) || ''}));
			ctx.refreshCounts();
			ctx.navigate('#/inbox');
			return;
		} catch (err) {
			const message = taskErrorMessage(err);
			const placed = err.field && parts.some((p) => p.showError(err.field, message));
			alert.replaceChildren(h('p', null, placed ? t('task.fixFields') : message));
			if (err.code === 'conflict' || err.code === 'forbidden' || err.code === 'not_found') {
				alert.append(h('p', null, h('a', {href: '#/inbox'}, t('task.backToInbox'))));
			}
			alert.hidden = false;
			if (!placed) alert.focus();
		} finally {
			busy = false;
			submit.disabled = false;
			form.removeAttribute('aria-busy');
		}
	});
	return form;
}

// The role of the step after TASK's, from the case's SOP version (GET /api/meetings/{id}/case,
// GET /api/sops/{version_id}); null when it cannot be told (a decision, the end, an error).
async function nextRole(task) {
	if (task.context && task.context.to_role) return task.context.to_role;
	try {
		const c = await api.meetingCase(task.meeting.id);
		if (!c || !c.sop || c.sop.version_id === undefined) return null;
		const sop = await api.sop(c.sop.version_id);
		const def = sop && sop.definition;
		const steps = def && Array.isArray(def.steps) ? def.steps : [];
		const num = (s) => Number(s.number ?? s.step ?? s.no);
		const step = steps.find((s) => num(s) === Number(task.step));
		if (!step) return null;
		let next = step.next;
		if (next && typeof next === 'object') next = next.step;
		const after = steps.find((s) => num(s) === Number(next));
		return after ? (after.role || after.performer || null) : null;
	} catch {
		return null;
	}
}
