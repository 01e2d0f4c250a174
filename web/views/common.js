// Small pieces shared by the views.

import {h} from '../dom.js';
import {classificationLabel, docStateLabel} from '../format.js';

const KNOWN_CLASSES = ['biasa', 'terbatas', 'rahasia', 'sangat_rahasia'];
const KNOWN_STATES = ['internal', 'published', 'verified'];

// The classification as a badge; the text carries the meaning, the colour only repeats it.
export function classificationBadge(code) {
	const cls = KNOWN_CLASSES.includes(code) ? ` badge-${code.replace('_', '-')}` : '';
	return h('span', {class: `badge${cls}`}, classificationLabel(code));
}

export function stateBadge(code) {
	const cls = KNOWN_STATES.includes(code) ? ` state-${code}` : '';
	return h('span', {class: `badge${cls}`}, docStateLabel(code));
}

// A table cell that also carries its column name, shown on narrow screens where rows become cards.
export function cell(label, content, cls) {
	return h('td', {class: cls || null, dataset: {label}}, content);
}
