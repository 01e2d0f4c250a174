// One form part per action of a step (docs/api.md, POST /api/tasks/{id}/complete). The task page
// puts the parts of a step's actions in one form and sends their keys together.
//
// Each builder takes (task, context, env) and returns:
//   element            the part's DOM (a <section>)
//   validate()         shows this part's errors; returns the first control to focus, or null
//   values()           the part's keys of the completion body
//   showError(field, message)  puts an API error naming FIELD at its control; true when placed
//   confirmMessage()   a question to ask before sending (e.g. a rejection), or null
// env: {meetingHref, search (directory cache), nextRole}

import {h, uid} from '../dom.js';
import {t} from '../i18n.js';
import {documentContentUrl} from '../api.js';
import {
	textIn, userName, roleName, stageTitle, stageInSentence, docTypeLabel, sourceLabel, fmtNumber,
} from '../format.js';
import {textareaField, selectField, radioField, checkFields} from '../forms.js';
import {classificationRank, stageCodes} from '../state.js';
import {classificationBadge, stateBadge, cell} from './common.js';
import {summaryView} from './sop.js';
import {picPicker} from './picpicker.js';
import {viewerHref} from './viewer.js';

const REJECT_CODES = ['tidak'];

function list(x) {
	return Array.isArray(x) ? x : [];
}

// FIELD (as the API names it, e.g. 'documents[1].note') belongs to KEY.
function fieldIs(field, key) {
	return field === key || field.startsWith(`${key}[`) || field.startsWith(`${key}.`);
}

function part(action, ...children) {
	const headingId = uid(`act-${action}`);
	return h('section', {class: `card action action-${action}`, 'aria-labelledby': headingId},
		h('h2', {id: headingId}, t(`act.${action}.title`)),
		children);
}

// A field's error placed and focused; returns the control.
function fail(f, message) {
	f.setError(message);
	return f.input;
}

// ---- compile: the dossier's documents, a link to upload more, a note.

function compile(task, ctx, env) {
	const docs = list(ctx.documents);
	const note = textareaField({name: 'note', label: t('act.note'), maxBytes: 2000, rows: 3,
		hint: t('act.compile.noteHint')});
	const docsError = h('p', {class: 'field-error', role: 'alert', hidden: true});
	const uploadLink = h('a', {class: 'button', href: env.meetingHref}, t('act.compile.upload'));
	const element = part('compile',
		h('p', null, t('act.compile.intro')),
		h('p', null, uploadLink),
		docs.length === 0
			? h('p', {class: 'alert alert-warn'}, t('act.compile.noDocs'))
			: documentsTable(docs, t('act.compile.docsCaption', {n: fmtNumber(docs.length)})),
		docsError,
		note.wrap);
	return {
		element,
		validate() {
			docsError.hidden = true;
			if (docs.length === 0) {
				docsError.textContent = t('act.compile.needDoc');
				docsError.hidden = false;
				return uploadLink;
			}
			return checkFields([note]) ? null : note.input;
		},
		values: () => (note.value() ? {note: note.value()} : {}),
		showError(field, message) {
			if (fieldIs(field, 'note')) {
				fail(note, message);
				note.input.focus();
				return true;
			}
			return false;
		},
		confirmMessage: () => null,
	};
}

function documentsTable(docs, caption) {
	return h('div', {class: 'table-wrap'}, h('table', {class: 'table table-compact responsive'},
		h('caption', null, caption),
		h('thead', null, h('tr', null,
			h('th', {scope: 'col'}, t('document.title')),
			h('th', {scope: 'col'}, t('upload.stage')),
			h('th', {scope: 'col'}, t('document.type')),
			h('th', {scope: 'col'}, t('document.classification')),
			h('th', {scope: 'col'}, t('document.source')),
			h('th', {scope: 'col', class: 'num'}, t('document.version')),
			h('th', {scope: 'col'}, t('document.state')))),
		h('tbody', null, docs.map((d) => h('tr', null,
			cell(t('document.title'), h('span', {class: 'doc-title'}, d.title)),
			cell(t('upload.stage'), stageTitle(d.stage)),
			cell(t('document.type'), docTypeLabel(d.type)),
			cell(t('document.classification'), classificationBadge(d.classification)),
			cell(t('document.source'), sourceLabel(d.source)),
			cell(t('document.version'), d.current_version ? fmtNumber(d.current_version.version) : '—', 'num'),
			cell(t('document.state'), stateBadge(d.state)))))));
}

// ---- check: per stage the required types; present ones can be ticked, missing ones cannot.

function check(task, ctx) {
	const stages = list(ctx.checklist);
	const boxes = []; // {stage, type, input}
	const note = textareaField({name: 'note', label: t('act.note'), maxBytes: 2000, rows: 3,
		hint: t('act.check.noteHint')});
	const tickError = h('p', {class: 'field-error', role: 'alert', hidden: true});

	const groups = stages.map((s) => {
		const present = list(s.present);
		const missing = list(s.missing);
		const items = list(s.required).map((type) => {
			const id = uid('chk');
			const has = present.includes(type) && !missing.includes(type);
			const box = h('input', {type: 'checkbox', id, value: type, disabled: !has});
			const whyId = `${id}-why`;
			if (!has) box.setAttribute('aria-describedby', whyId);
			else boxes.push({stage: s.stage, type, input: box});
			return h('li', {class: `check-item${has ? '' : ' is-disabled'}`}, box,
				h('label', {for: id}, docTypeLabel(type)),
				has ? null : h('span', {id: whyId, class: 'badge badge-missing'}, t('act.check.missing')));
		});
		const complete = missing.length === 0;
		return h('fieldset', {class: 'check-stage'},
			h('legend', null, stageTitle(s.stage), ' ',
				h('span', {class: `badge ${complete ? 'badge-ontime' : 'badge-overdue'}`},
					complete ? t('act.check.complete') : t('act.check.incomplete', {n: fmtNumber(missing.length)}))),
			items.length ? h('ul', {class: 'check-list'}, items) : h('p', {class: 'muted small'}, t('act.check.noneRequired')));
	});

	const tickAll = h('button', {type: 'button', class: 'button button-small'}, t('act.check.tickAll'));
	tickAll.addEventListener('click', () => {
		for (const b of boxes) b.input.checked = true;
		tickError.hidden = true;
	});

	const element = part('check',
		h('p', null, t('act.check.intro')),
		boxes.length ? h('p', null, tickAll) : null,
		stages.length ? groups : h('p', {class: 'muted'}, t('act.check.noChecklist')),
		tickError,
		note.wrap);
	return {
		element,
		validate: () => (checkFields([note]) ? null : note.input),
		values() {
			const v = {ticked: boxes.filter((b) => b.input.checked).map((b) => ({stage: b.stage, type: b.type}))};
			if (note.value()) v.note = note.value();
			return v;
		},
		showError(field, message) {
			if (fieldIs(field, 'note')) {
				fail(note, message);
				note.input.focus();
				return true;
			}
			if (fieldIs(field, 'ticked')) {
				tickError.textContent = message;
				tickError.hidden = false;
				(boxes[0] ? boxes[0].input : tickError).focus();
				return true;
			}
			return false;
		},
		confirmMessage() {
			const unticked = boxes.filter((b) => !b.input.checked).length;
			return unticked ? t('act.check.confirmUnticked', {n: fmtNumber(unticked)}) : null;
		},
	};
}

// ---- decide: one of the answers, with a reason; a rejection asks for confirmation.

function isReject(answer) {
	return !!answer && (REJECT_CODES.includes(answer.code) || answer.outcome === 'kept_internal'
		|| (answer.next && (answer.next.end === 'kept_internal' || answer.next.outcome === 'kept_internal')));
}

function decide(task, ctx) {
	const answers = list(ctx.answers);
	const choice = radioField({name: 'answer', label: t('act.decide.answer'), required: true,
		options: answers.map((a) => ({value: a.code, label: textIn(a.label) || a.code,
			hint: isReject(a) ? t('act.decide.rejectHint') : null}))});
	const reason = textareaField({name: 'reason', label: t('act.decide.reason'), required: true, maxBytes: 2000,
		rows: 4, hint: t('act.decide.reasonHint')});
	const warning = h('div', {class: 'alert alert-warn', role: 'status', hidden: true});
	const chosen = () => answers.find((a) => a.code === choice.value());
	choice.onChange(() => {
		const a = chosen();
		warning.hidden = !isReject(a);
		warning.textContent = isReject(a) ? t('act.decide.rejectWarning') : '';
	});
	const element = part('decide', h('p', null, t('act.decide.intro')), choice.wrap, warning, reason.wrap);
	const fields = [choice, reason];
	return {
		element,
		validate: () => {
			if (checkFields(fields)) return null;
			return fields.find((f) => f.check()).input;
		},
		values: () => ({answer: choice.value(), reason: reason.value()}),
		showError(field, message) {
			const f = fields.find((x) => fieldIs(field, x.name));
			if (!f) return false;
			fail(f, message);
			f.input.focus();
			return true;
		},
		confirmMessage() {
			const a = chosen();
			return isReject(a) ? t('act.decide.confirmReject', {label: textIn(a.label) || a.code}) : null;
		},
	};
}

// ---- dispose: an instruction to the next step's role, or to one holder of it.

function dispose(task, ctx) {
	const role = ctx.to_role ? roleName(ctx.to_role) : '';
	const candidates = list(ctx.candidates);
	const instruction = textareaField({name: 'instruction', label: t('act.dispose.instruction'), required: true,
		maxBytes: 2000, rows: 4, hint: t('act.dispose.instructionHint')});
	const to = selectField({name: 'to_user', label: t('act.dispose.to'), hint: t('act.dispose.toHint'),
		options: [{value: '', label: role ? t('act.dispose.toRole', {role}) : t('act.dispose.toAnyone')}]
			.concat(candidates.map((u) => ({value: String(u.id),
				label: u.username && u.display_name ? `${u.display_name} (${u.username})` : userName(u)})))});
	const element = part('dispose',
		h('p', null, role ? t('act.dispose.intro', {role}) : t('act.dispose.introNoRole')),
		instruction.wrap,
		candidates.length ? to.wrap : null);
	const fields = [instruction, to];
	return {
		element,
		validate: () => (checkFields([instruction]) ? null : instruction.input),
		values() {
			const v = {instruction: instruction.value()};
			if (candidates.length && to.value()) v.to_user = Number(to.value());
			return v;
		},
		showError(field, message) {
			const f = fields.find((x) => fieldIs(field, x.name));
			if (!f) return false;
			fail(f, message);
			f.input.focus();
			return true;
		},
		confirmMessage: () => null,
	};
}

// ---- publish: every document of the step's stages, each with its PIC checklist.

function publish(task, ctx, env) {
	const docs = list(ctx.documents);
	const stages = list(ctx.stages).length ? list(ctx.stages) : stageCodes();
	const meetingClass = task.meeting && task.meeting.classification;
	const pickers = [];
	const status = h('p', {class: 'status-line', role: 'status'});
	const docsError = h('p', {class: 'field-error', role: 'alert', hidden: true});

	const blocks = docs.map((d) => {
		// A PIC needs clearance for the document and for its meeting (the API's grant rule).
		const need = classificationRank(meetingClass) > classificationRank(d.classification)
			? {code: meetingClass, what: 'meeting'} : {code: d.classification, what: 'document'};
		const picker = picPicker(d, need, env.search);
		pickers.push({doc: d, picker});
		const copy = h('button', {type: 'button', class: 'button button-small'}, t('act.publish.copyAll'));
		copy.setAttribute('aria-label', t('act.publish.copyAllFor', {title: d.title}));
		copy.addEventListener('click', () => {
			const users = picker.chosenUsers();
			let added = 0;
			let skipped = 0;
			for (const other of pickers) {
				if (other.picker === picker) continue;
				for (const u of users) {
					if (other.picker.add(u)) added += 1;
					else skipped += 1;
				}
			}
			status.textContent = skipped
				? t('act.publish.copiedSkipped', {n: fmtNumber(pickers.length - 1), skipped: fmtNumber(skipped)})
				: t('act.publish.copied', {n: fmtNumber(pickers.length - 1)});
		});
		return h('fieldset', {class: 'publish-doc'},
			h('legend', null, h('span', {class: 'doc-title'}, d.title)),
			h('p', {class: 'publish-doc-meta small'},
				stageTitle(d.stage), ' · ', docTypeLabel(d.type), ' · ', classificationBadge(d.classification), ' ',
				stateBadge(d.state), ' ', viewLink(d)),
			picker.element,
			docs.length > 1 ? h('p', null, copy) : null);
	});

	const element = part('publish',
		h('p', null, t('act.publish.intro', {stages: stages.map(stageInSentence).join(', ')})),
		docs.length === 0 ? h('div', {class: 'alert alert-warn'},
			h('p', null, t('act.publish.noDocs')),
			h('p', null, h('a', {href: env.meetingHref}, t('act.compile.upload')))) : null,
		status,
		blocks,
		docsError);
	return {
		element,
		validate() {
			docsError.hidden = true;
			if (docs.length === 0) {
				docsError.textContent = t('act.publish.needDoc');
				docsError.hidden = false;
				return element.querySelector('a') || docsError;
			}
			return null;
		},
		values: () => ({grants: pickers.map(({doc, picker}) => ({document_id: doc.id, users: picker.ids()}))}),
		showError(field, message) {
			if (!fieldIs(field, 'grants')) return false;
			const m = /^grants\[(\d+)\]/.exec(field);
			const target = m && pickers[Number(m[1])] ? pickers[Number(m[1])].picker : (pickers[0] && pickers[0].picker);
			if (!target) return false;
			target.setError(message);
			target.focus();
			return true;
		},
		confirmMessage() {
			const none = pickers.filter((p) => p.picker.count() === 0).map((p) => p.doc.title);
			return none.length ? t('act.publish.confirmNoPic', {titles: none.join('; ')}) : null;
		},
	};
}

// The document viewer (#/documents/{id}) in a new tab, so that the form keeps what was typed.
function viewLink(d, onOpen) {
	const a = h('a', {href: viewerHref(d.id), target: '_blank', rel: 'noopener'}, t('document.view'));
	a.setAttribute('aria-label', t('document.viewFile', {title: d.title}));
	if (onOpen) a.addEventListener('click', onOpen);
	return a;
}

// ---- report: the generated summary and the sender's own words.

function report(task, ctx) {
	const text = textareaField({name: 'text', label: t('act.report.text'), required: true, maxBytes: 4000, rows: 6,
		hint: t('act.report.textHint')});
	const element = part('report',
		h('p', null, t('act.report.intro')),
		h('h3', null, t('act.report.summary')),
		summaryView(ctx.summary),
		text.wrap);
	return {
		element,
		validate: () => (checkFields([text]) ? null : text.input),
		values: () => ({text: text.value()}),
		showError(field, message) {
			if (!fieldIs(field, 'text')) return false;
			fail(text, message);
			text.input.focus();
			return true;
		},
		confirmMessage: () => null,
	};
}

// ---- verify: each published document, opened and confirmed or noted.

function verify(task, ctx) {
	const docs = list(ctx.documents);
	const rows = docs.map((d) => {
		const openedBadge = h('span', {class: `badge ${d.opened ? 'badge-ontime' : 'badge-notime'}`},
			d.opened ? t('act.verify.opened') : t('act.verify.notOpened'));
		const markOpened = () => {
			openedBadge.className = 'badge badge-ontime';
			openedBadge.textContent = t('act.verify.opened');
		};
		const result = radioField({name: 'result', label: t('act.verify.result'), required: true,
			options: [{value: 'confirmed', label: t('verify.confirmed')}, {value: 'noted', label: t('verify.noted')}]});
		const note = textareaField({name: 'note', label: t('act.verify.note'), maxBytes: 2000, rows: 2,
			hint: t('act.verify.noteHint'),
			validate: (v) => (result.value() === 'noted' && v === '' ? t('act.verify.noteRequired') : null)});
		result.onChange(() => note.clearError());
		const grants = list(d.grants).map(userName).join(', ');
		const v = d.current_version || {};
		const element = h('fieldset', {class: 'verify-doc'},
			h('legend', null, h('span', {class: 'doc-title'}, d.title)),
			h('p', {class: 'small'},
				stageTitle(d.stage), ' · ', docTypeLabel(d.type), ' · ', classificationBadge(d.classification), ' ',
				stateBadge(d.state), ' ', openedBadge),
			v.filename ? h('p', {class: 'small muted filename'}, v.filename) : null,
			h('p', {class: 'small'}, h('span', {class: 'label'}, `${t('act.verify.pics')}: `), grants || t('artefact.noPic')),
			h('div', {class: 'row-actions'}, viewLink(d, markOpened), (() => {
				const dl = h('a', {href: documentContentUrl(d.id), download: ''}, t('document.download'));
				dl.setAttribute('aria-label', t('document.downloadFile', {title: d.title}));
				dl.addEventListener('click', markOpened);
				return dl;
			})()),
			result.wrap,
			note.wrap);
		return {doc: d, result, note, element};
	});
	const element = part('verify',
		h('p', null, t('act.verify.intro')),
		docs.length === 0 ? h('p', {class: 'alert alert-warn'}, t('act.verify.noDocs')) : null,
		rows.map((r) => r.element));
	return {
		element,
		validate() {
			let first = null;
			for (const r of rows) {
				if (!checkFields([r.result, r.note]) && !first) first = r.result.check() ? r.result.input : r.note.input;
			}
			return first;
		},
		values: () => ({documents: rows.map((r) => {
			const v = {id: r.doc.id, result: r.result.value()};
			if (r.note.value()) v.note = r.note.value();
			return v;
		})}),
		showError(field, message) {
			if (!fieldIs(field, 'documents')) return false;
			const m = /^documents\[(\d+)\](?:\.(\w+))?/.exec(field);
			const r = m && rows[Number(m[1])] ? rows[Number(m[1])] : rows[0];
			if (!r) return false;
			const f = m && m[2] === 'note' ? r.note : r.result;
			f.setError(message);
			f.input.focus();
			return true;
		},
		confirmMessage() {
			const noted = rows.filter((r) => r.result.value() === 'noted').length;
			return noted ? t('act.verify.confirmNoted', {n: fmtNumber(noted)}) : null;
		},
	};
}

export const ACTIONS = {compile, check, decide, dispose, publish, report, verify};

// The submit button's words for a step's ACTIONS, naming the next performer when known.
export function submitLabel(actions, nextRole) {
	const role = nextRole ? roleName(nextRole) : null;
	if (actions.length === 1) {
		const a = actions[0];
		if (role && (a === 'compile' || a === 'check' || a === 'report')) return t(`act.${a}.submitTo`, {role});
		return t(`act.${a}.submit`);
	}
	if (actions.length === 2 && actions.includes('publish') && actions.includes('report')) {
		return role ? t('act.publishReport.submitTo', {role}) : t('act.publishReport.submit');
	}
	return t('act.submit');
}
