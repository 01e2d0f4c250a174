// The meeting form, for "new meeting" (POST /api/meetings) and "edit" (PATCH /api/meetings/{id}).

import {h, uid} from '../dom.js';
import {t} from '../i18n.js';
import {ApiError} from '../api.js';
import {errorMessage} from '../errors.js';
import {classificationLabel} from '../format.js';
import {allowedClassifications} from '../state.js';
import {inputField, selectField, checkFields, showFieldError} from '../forms.js';

const YMD = /^\d{4}-\d{2}-\d{2}$/;

// opts.initial: a MEETING to edit (null for a new one); opts.submitLabel; opts.onSubmit(fields)
// returns a promise (rejects with ApiError); opts.onCancel optional; opts.onUnchanged optional.
export function meetingForm(opts) {
	const m = opts.initial || {};
	const classes = allowedClassifications();
	if (m.classification && !classes.includes(m.classification)) classes.push(m.classification);

	const fields = [
		inputField({name: 'title', label: t('meeting.title'), required: true, maxBytes: 500, value: m.title}),
		inputField({name: 'number', label: t('meeting.number'), maxBytes: 200, value: m.number,
			hint: t('meeting.numberHint')}),
		inputField({name: 'date', label: t('meeting.date'), type: 'date', required: true, value: m.date,
			validate: (v) => (YMD.test(v) ? null : t('form.dateFormat'))}),
		inputField({name: 'place', label: t('meeting.place'), maxBytes: 200, value: m.place}),
		inputField({name: 'chair', label: t('meeting.chair'), maxBytes: 200, value: m.chair}),
		selectField({name: 'classification', label: t('meeting.classification'), required: true,
			value: m.classification || classes[0],
			options: classes.map((c) => ({value: c, label: classificationLabel(c)}))}),
	];

	const alertId = uid('mf-alert');
	const alert = h('div', {id: alertId, class: 'alert alert-error', role: 'alert', hidden: true});
	const submit = h('button', {type: 'submit', class: 'button button-primary'}, opts.submitLabel);
	const cancel = opts.onCancel
		? h('button', {type: 'button', class: 'button', onclick: () => opts.onCancel()}, t('form.cancel'))
		: null;

	const form = h('form', {class: 'form meeting-form', novalidate: true},
		h('div', {class: 'grid-2'}, fields.map((f) => f.wrap)),
		h('p', {class: 'hint'}, t('form.requiredNote')),
		alert,
		h('div', {class: 'actions'}, submit, cancel));

	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		alert.hidden = true;
		if (!checkFields(fields)) return;
		const values = {};
		for (const f of fields) {
			const v = f.value();
			if (opts.initial) {
				// PATCH sends only what changed.
				if (v !== (m[f.name] ?? '')) values[f.name] = v;
			} else if (v !== '') {
				values[f.name] = v;
			}
		}
		if (opts.initial && Object.keys(values).length === 0) {
			if (opts.onUnchanged) opts.onUnchanged();
			return;
		}
		submit.disabled = true;
		form.setAttribute('aria-busy', 'true');
		try {
			await opts.onSubmit(values);
		} catch (err) {
			const msg = errorMessage(err);
			if (!(err instanceof ApiError) || !showFieldError(fields, err, msg)) {
				alert.textContent = msg;
				alert.hidden = false;
			}
		} finally {
			submit.disabled = false;
			form.removeAttribute('aria-busy');
		}
	});

	return {element: form, focus: () => fields[0].input.focus()};
}
