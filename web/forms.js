// Form fields with a visible <label>, an optional hint and an error message that is tied to the
// control with aria-describedby and aria-invalid.

import {h, uid} from './dom.js';
import {t} from './i18n.js';

const encoder = new TextEncoder();

export function byteLength(s) {
	return encoder.encode(s).length;
}

function describedBy(...ids) {
	return ids.filter(Boolean).join(' ') || null;
}

// Adds the error/hint machinery to CONTROL inside a .field wrapper.
function wrapField(control, labelText, {hint, required, id}) {
	const hintId = hint ? `${id}-hint` : null;
	const errId = `${id}-error`;
	const label = h('label', {for: id}, labelText,
		required ? h('span', {class: 'required', 'aria-hidden': 'true'}, ' *') : null);
	const hintEl = hint ? h('p', {id: hintId, class: 'hint'}, hint) : null;
	const errEl = h('p', {id: errId, class: 'field-error', hidden: true});
	control.setAttribute('aria-describedby', describedBy(hintId));
	if (required) control.setAttribute('aria-required', 'true');
	const wrap = h('div', {class: 'field'}, label, hintEl, control, errEl);
	const f = {
		wrap,
		label,
		control,
		hintEl,
		setError(message) {
			errEl.textContent = message;
			errEl.hidden = false;
			control.setAttribute('aria-invalid', 'true');
			control.setAttribute('aria-describedby', describedBy(hintId, errId));
		},
		clearError() {
			errEl.textContent = '';
			errEl.hidden = true;
			control.removeAttribute('aria-invalid');
			control.setAttribute('aria-describedby', describedBy(hintId));
		},
	};
	// An error goes away as soon as the user changes the value.
	control.addEventListener(control.tagName === 'SELECT' ? 'change' : 'input', () => {
		if (!errEl.hidden) f.clearError();
	});
	return f;
}

// A text-like <input>. opts: name, label, type, value, required, maxBytes, hint, autocomplete,
// min, max, pattern-free (validation is ours, so that messages follow the UI language).
export function inputField(opts) {
	const id = uid(`f-${opts.name}`);
	const input = h('input', {
		id, name: opts.name, type: opts.type || 'text', autocomplete: opts.autocomplete || 'off',
		min: opts.min, max: opts.max, step: opts.step, inputmode: opts.inputmode,
		placeholder: opts.placeholder,
	});
	if (opts.value !== undefined && opts.value !== null) input.value = String(opts.value);
	const f = wrapField(input, opts.label, {hint: opts.hint, required: opts.required, id});
	f.input = input;
	f.name = opts.name;
	f.value = () => input.value.trim();
	// Our own checks (required, length in bytes as the API counts): returns an error or null.
	f.check = () => {
		const v = f.value();
		if (opts.required && v === '') return t('form.required');
		if (opts.maxBytes && byteLength(v) > opts.maxBytes) return t('form.tooLong', {max: opts.maxBytes});
		if (opts.validate) return opts.validate(v);
		return null;
	};
	return f;
}

// A <textarea>. opts: name, label, value, required, maxBytes, hint, rows, validate.
export function textareaField(opts) {
	const id = uid(`f-${opts.name}`);
	const area = h('textarea', {id, name: opts.name, rows: String(opts.rows || 4), spellcheck: 'true'});
	if (opts.value !== undefined && opts.value !== null) area.value = String(opts.value);
	const f = wrapField(area, opts.label, {hint: opts.hint, required: opts.required, id});
	f.input = area;
	f.name = opts.name;
	f.value = () => area.value.trim();
	f.check = () => {
		const v = f.value();
		if (opts.required && v === '') return t('form.required');
		if (opts.maxBytes && byteLength(v) > opts.maxBytes) return t('form.tooLong', {max: opts.maxBytes});
		if (opts.validate) return opts.validate(v);
		return null;
	};
	return f;
}

// A <select>. options: [{value, label}].
export function selectField(opts) {
	const id = uid(`f-${opts.name}`);
	const select = h('select', {id, name: opts.name},
		opts.options.map((o) => h('option', {value: o.value}, o.label)));
	if (opts.value !== undefined && opts.value !== null) select.value = opts.value;
	const f = wrapField(select, opts.label, {hint: opts.hint, required: opts.required, id});
	f.input = select;
	f.name = opts.name;
	f.value = () => select.value;
	f.check = () => (opts.required && !select.value ? t('form.required') : null);
	return f;
}

// A group of radio buttons in a <fieldset> with a <legend>. options: [{value, label, hint}].
// opts.required: check() asks for a choice; the error is tied to the group.
export function radioField(opts) {
	const name = uid(`r-${opts.name}`);
	const errId = uid(`r-${opts.name}-error`);
	const radios = [];
	const errEl = h('p', {id: errId, class: 'field-error', hidden: true});
	const fs = h('fieldset', {class: 'field radio-group'},
		h('legend', null, opts.label,
			opts.required ? h('span', {class: 'required', 'aria-hidden': 'true'}, ' *') : null),
		opts.hint ? h('p', {class: 'hint'}, opts.hint) : null,
		opts.options.map((o) => {
			const id = uid(`r-${opts.name}-${o.value}`);
			const r = h('input', {type: 'radio', id, name, value: o.value});
			if (o.value === opts.value) r.checked = true;
			radios.push(r);
			const hintId = o.hint ? `${id}-hint` : null;
			if (hintId) r.setAttribute('aria-describedby', hintId);
			return h('div', {class: 'radio'}, r, h('label', {for: id}, o.label),
				o.hint ? h('span', {id: hintId, class: 'hint radio-hint'}, o.hint) : null);
		}),
		errEl);
	if (opts.required) fs.setAttribute('aria-required', 'true');
	const f = {
		wrap: fs,
		name: opts.name,
		radios,
		get input() {
			return radios.find((r) => r.checked) || radios[0];
		},
		value: () => (radios.find((r) => r.checked) || {}).value || '',
		onChange(fn) {
			for (const r of radios) r.addEventListener('change', fn);
		},
		check: () => (opts.required && !f.value() ? t('form.choose') : null),
		setError(message) {
			errEl.textContent = message;
			errEl.hidden = false;
			fs.setAttribute('aria-describedby', errId);
			for (const r of radios) r.setAttribute('aria-invalid', 'true');
		},
		clearError() {
			errEl.textContent = '';
			errEl.hidden = true;
			fs.removeAttribute('aria-describedby');
			for (const r of radios) r.removeAttribute('aria-invalid');
		},
	};
	f.onChange(() => {
		if (!errEl.hidden) f.clearError();
	});
	return f;
}

// Shows API validation errors on the field they name; returns true when one was found.
export function showFieldError(fields, err, message) {
	if (!err || !err.field) return false;
	const f = fields.find((x) => x.name === err.field);
	if (!f) return false;
	f.setError(message);
	if (f.input) f.input.focus();
	return true;
}

// Runs every field's own check; shows the errors, focuses the first; true when all pass.
export function checkFields(fields) {
	let first = null;
	for (const f of fields) {
		f.clearError();
		const msg = f.check();
		if (msg) {
			f.setError(msg);
			if (!first) first = f;
		}
	}
	if (first && first.input) first.input.focus();
	return !first;
}
