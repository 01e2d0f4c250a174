// The PIC checklist of one document (publish steps): the chosen PICs and a search over
// GET /api/directory?q= (name, NIP, unit), as one list of checkboxes. A PIC whose clearance is
// below what the document needs is listed but cannot be ticked, with the reason beside it.

import {h, uid} from '../dom.js';
import {t} from '../i18n.js';
import {api} from '../api.js';
import {errorMessage} from '../errors.js';
import {classificationLabel, fmtNumber, userName} from '../format.js';
import {classificationRank} from '../state.js';

const SEARCH_DELAY_MS = 300;
const RESULTS = 20;

// One search cache per task page: several documents often look for the same people.
export function directoryCache() {
	const cache = new Map();
	return (q) => {
		const key = q.trim().toLowerCase();
		if (!cache.has(key)) {
			const p = api.directory(key, RESULTS).then((res) => (Array.isArray(res.items) ? res.items : []));
			p.catch(() => cache.delete(key));
			cache.set(key, p);
		}
		return cache.get(key);
	};
}

// Why USER cannot be granted a document needing NEED ({code, what: 'document'|'meeting'}), or null.
export function clearanceProblem(user, need) {
	if (!need || classificationRank(need.code) < 0) return null;
	const have = classificationRank(user.clearance);
	if (have >= classificationRank(need.code)) return null;
	const params = {have: user.clearance ? classificationLabel(user.clearance) : t('pic.noClearance'),
		need: classificationLabel(need.code)};
	return need.what === 'meeting' ? t('pic.belowMeeting', params) : t('pic.belowDocument', params);
}

// DOC: DOCUMENT with "grants" (USERREF, pre-ticked); NEED: the classification a PIC must be
// cleared for; SEARCH: a directoryCache(). Returns {element, ids(), add(user), focus(), setError,
// clearError}.
export function picPicker(doc, need, search) {
	const chosen = new Map(); // id → directory entry (or USERREF for existing grants)
	for (const g of Array.isArray(doc.grants) ? doc.grants : []) chosen.set(String(g.id), g);
	let results = [];
	let seq = 0;

	const searchId = uid('pic-q');
	const errId = uid('pic-err');
	const input = h('input', {id: searchId, type: 'search', autocomplete: 'off', spellcheck: 'false',
		class: 'pic-search', 'aria-controls': `${searchId}-list`});
	const countLine = h('p', {class: 'small muted pic-count', role: 'status'});
	const chosenLine = h('p', {class: 'small pic-chosen'});
	const listEl = h('ul', {id: `${searchId}-list`, class: 'check-list pic-list',
		'aria-label': t('pic.listFor', {title: doc.title})});
	const errEl = h('p', {id: errId, class: 'field-error', hidden: true});

	function updateChosenLine() {
		const names = Array.from(chosen.values()).map((u) => userName(u));
		chosenLine.textContent = names.length
			? t('pic.chosen', {n: fmtNumber(names.length), names: names.join(', ')})
			: t('pic.noneChosen');
	}

	function item(u) {
		const id = uid('pic');
		const reasonId = `${id}-why`;
		const problem = u.clearance !== undefined ? clearanceProblem(u, need) : null;
		const box = h('input', {type: 'checkbox', id, value: String(u.id)});
		box.checked = chosen.has(String(u.id));
		// An existing grant stays tickable (it can be kept or removed) even if the directory did
		// not say the clearance; a new one needs the clearance.
		if (problem && !box.checked) {
			box.disabled = true;
			box.setAttribute('aria-describedby', reasonId);
		}
		box.addEventListener('change', () => {
			if (box.checked) chosen.set(String(u.id), u);
			else chosen.delete(String(u.id));
			updateChosenLine();
			clearError();
		});
		const details = [u.nip ? t('pic.nip', {nip: u.nip}) : null, u.unit || null].filter(Boolean).join(' · ');
		return h('li', {class: `check-item${box.disabled ? ' is-disabled' : ''}`},
			box,
			h('label', {for: id},
				h('span', {class: 'pic-name'}, userName(u)),
				details ? h('span', {class: 'small muted'}, details) : null,
				u.clearance ? h('span', {class: 'small muted'}, t('pic.clearance', {c: classificationLabel(u.clearance)})) : null),
			problem ? h('span', {id: reasonId, class: 'pic-why small'}, problem) : null);
	}

	function render() {
		// The chosen PICs first (so that they stay visible whatever is searched), then the results.
		const shown = new Set();
		const rows = [];
		for (const u of chosen.values()) {
			shown.add(String(u.id));
			rows.push(item(u));
		}
		for (const u of results) {
			if (shown.has(String(u.id))) continue;
			shown.add(String(u.id));
			rows.push(item(u));
		}
		listEl.replaceChildren(...rows);
		if (rows.length === 0) listEl.append(h('li', {class: 'muted small'}, t('pic.noResults')));
	}

	async function runSearch() {
		const mine = ++seq;
		const q = input.value;
		countLine.textContent = t('pic.searching');
		try {
			const items = await search(q);
			if (mine !== seq) return;
			results = items;
			countLine.textContent = items.length
				? t('pic.results', {n: fmtNumber(items.length)}) : t('pic.noResults');
			render();
		} catch (err) {
			if (mine !== seq) return;
			countLine.textContent = errorMessage(err);
		}
	}

	let timer = null;
	input.addEventListener('input', () => {
		clearTimeout(timer);
		timer = setTimeout(runSearch, SEARCH_DELAY_MS);
	});
	input.addEventListener('keydown', (e) => {
		if (e.key === 'Enter') {
			e.preventDefault(); // not the task form's submit
			clearTimeout(timer);
			runSearch();
		}
	});

	function setError(message) {
		errEl.textContent = message;
		errEl.hidden = false;
		input.setAttribute('aria-describedby', errId);
	}
	function clearError() {
		errEl.textContent = '';
		errEl.hidden = true;
		input.removeAttribute('aria-describedby');
	}

	const element = h('div', {class: 'pic-picker'},
		h('div', {class: 'field'},
			h('label', {for: searchId}, t('pic.search'),
				h('span', {class: 'visually-hidden'}, ` — ${doc.title}`)),
			h('p', {class: 'hint'}, t('pic.searchHint')),
			input),
		countLine,
		listEl,
		chosenLine,
		errEl);
	updateChosenLine();
	render();
	runSearch();

	return {
		element,
		ids: () => Array.from(chosen.keys()).map(Number),
		count: () => chosen.size,
		// Adds U if cleared; true when it was added or was there.
		add(u) {
			if (chosen.has(String(u.id))) return true;
			if (u.clearance !== undefined && clearanceProblem(u, need)) return false;
			chosen.set(String(u.id), u);
			updateChosenLine();
			render();
			return true;
		},
		chosenUsers: () => Array.from(chosen.values()),
		focus: () => input.focus(),
		setError,
		clearError,
	};
}
