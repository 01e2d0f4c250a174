// DOM building without HTML strings. Every piece of text goes in through textContent or a text
// node, so data (titles, file names) can never become markup. innerHTML, outerHTML,
// insertAdjacentHTML and document.write are not used anywhere in web/ (see docs/ui.md).

// h('a', {href: '/x', class: 'button', onclick: fn}, 'text', childNode, [more], null)
//   - attrs: 'class' → className, 'text' → textContent, 'dataset' → data-*,
//     on<event> with a function → addEventListener, true → boolean attribute,
//     false/null/undefined → left out, anything else → setAttribute(name, String(value)).
//   - children: strings and numbers become text nodes, nodes are appended, arrays are
//     flattened, null/undefined/false are skipped.
export function h(tag, attrs, ...children) {
	const el = document.createElement(tag);
	if (attrs) {
		for (const [name, value] of Object.entries(attrs)) {
			if (value === null || value === undefined || value === false) continue;
			if (name === 'class') {
				el.className = value;
			} else if (name === 'text') {
				el.textContent = String(value);
			} else if (name === 'dataset') {
				for (const [k, v] of Object.entries(value)) el.dataset[k] = String(v);
			} else if (name.startsWith('on')) {
				// Only real listeners; never an attribute string (that would be an inline handler,
				// which the CSP blocks anyway).
				if (typeof value !== 'function') throw new TypeError(`h: ${name} must be a function`);
				el.addEventListener(name.slice(2), value);
			} else if (value === true) {
				el.setAttribute(name, '');
			} else {
				el.setAttribute(name, String(value));
			}
		}
	}
	append(el, children);
	return el;
}

export function append(parent, children) {
	for (const child of children) {
		if (child === null || child === undefined || child === false) continue;
		if (Array.isArray(child)) append(parent, child);
		else if (child instanceof Node) parent.appendChild(child);
		else parent.appendChild(document.createTextNode(String(child)));
	}
	return parent;
}

// Removes every child of EL and appends CHILDREN.
export function replace(el, ...children) {
	el.replaceChildren();
	return append(el, children);
}

let idCounter = 0;
// A document-unique id for label/for, aria-describedby and the like.
export function uid(prefix = 'id') {
	idCounter += 1;
	return `${prefix}-${idCounter}`;
}
