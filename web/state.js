// What the whole UI shares: the signed-in user and the API's metadata (GET /api/meta).

export const state = {
	user: null, // USER from /api/me or /api/login, null when signed out
	meta: null, // /api/meta
};

// The bureau's SOP roles: only their holders see and manage meetings (docs/api.md, "Who sees what").
export const BUREAU_ROLES = [
	'karo_hph', 'kabag_persidangan', 'kasubbag_pengelolaan', 'pengelola_persidangan', 'pengelola_naskah',
];

export const CLASSIFICATIONS = ['biasa', 'terbatas', 'rahasia', 'sangat_rahasia'];
export const STAGES = ['perencanaan', 'pelaksanaan', 'pelaporan'];
export const SOURCES = ['scan', 'born_digital'];

// The SOP roles are those /api/meta lists with kind 'sop'; the list above is the fallback.
function sopRoles() {
	const roles = state.meta && Array.isArray(state.meta.roles) ? state.meta.roles : [];
	const sop = roles.filter((r) => r.kind === 'sop').map((r) => r.code);
	return sop.length ? sop : BUREAU_ROLES;
}

export function hasBureauRole(user = state.user) {
	const sop = sopRoles();
	return !!user && Array.isArray(user.roles) && user.roles.some((r) => sop.includes(r));
}

// The classifications the user may give an object: up to their clearance, so that they do not
// create something they could not see afterwards.
export function allowedClassifications(user = state.user) {
	const list = (state.meta && Array.isArray(state.meta.classifications) && state.meta.classifications.length)
		? state.meta.classifications.map((c) => (typeof c === 'string' ? c : c.code)).filter(Boolean)
		: CLASSIFICATIONS;
	const clearance = user && user.clearance;
	const limit = list.indexOf(clearance);
	return limit >= 0 ? list.slice(0, limit + 1) : list;
}

export function stageCodes() {
	if (state.meta && Array.isArray(state.meta.stages) && state.meta.stages.length) {
		return state.meta.stages.map((s) => s.code);
	}
	return STAGES;
}

export function documentTypes(stage) {
	const s = state.meta && Array.isArray(state.meta.stages) ? state.meta.stages.find((x) => x.code === stage) : null;
	return s && Array.isArray(s.document_types) ? s.document_types : [];
}

export function uploadLimit() {
	const n = state.meta && state.meta.limits ? Number(state.meta.limits.upload_bytes) : NaN;
	return Number.isFinite(n) && n > 0 ? n : null;
}

// Who may read the compliance report (docs/api.md, GET /api/reports/compliance).
export const COMPLIANCE_ROLES = ['karo_hph', 'kabag_persidangan', 'auditor'];

export function canSeeCompliance(user = state.user) {
	return !!user && Array.isArray(user.roles) && user.roles.some((r) => COMPLIANCE_ROLES.includes(r));
}

// The rank of a classification (biasa 0 … sangat_rahasia 3); -1 when unknown.
export function classificationRank(code) {
	return CLASSIFICATIONS.indexOf(code);
}
