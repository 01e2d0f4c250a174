/* All SQL of the SQLite backend. Column lists are part of the contract with the domain layer:
 * the comment above a SELECT gives the columns its caller reads, in order. */
#include "store/sql.h"

#include <stddef.h>

const char *const sql_migrations[] = {
	/* 1: the foundation */
	"CREATE TABLE roles ("
	"  code TEXT PRIMARY KEY,"
	"  name_id TEXT NOT NULL,"
	"  name_en TEXT NOT NULL,"
	"  kind TEXT NOT NULL CHECK (kind IN ('sop', 'admin', 'auditor', 'reader')),"
	"  sort INTEGER NOT NULL);"
	"INSERT INTO roles VALUES"
	"  ('karo_hph', 'Kepala Biro HPH', 'Head of the Bureau', 'sop', 1),"
	"  ('kabag_persidangan', 'Kepala Bagian Persidangan', 'Head of the Sessions Division', 'sop', 2),"
	"  ('kasubbag_pengelolaan', 'Kepala Subbagian Pengelolaan Persidangan',"
	"   'Head of the Session Management Subdivision', 'sop', 3),"
	"  ('pengelola_persidangan', 'Pengelola Persidangan', 'Session Officer', 'sop', 4),"
	"  ('pengelola_naskah', 'Pengelola Naskah', 'Records Officer', 'sop', 5),"
	"  ('admin', 'Administrator', 'Administrator', 'admin', 6),"
	"  ('auditor', 'Auditor', 'Auditor', 'auditor', 7),"
	"  ('reader', 'PIC (pembaca)', 'PIC (reader)', 'reader', 8);"
	"CREATE TABLE users ("
	"  id INTEGER PRIMARY KEY,"
	"  username TEXT NOT NULL UNIQUE,"
	"  display_name TEXT NOT NULL,"
	"  nip TEXT,"
	"  unit TEXT,"
	"  clearance INTEGER NOT NULL DEFAULT 0 CHECK (clearance BETWEEN 0 AND 3),"
	"  password_hash TEXT NOT NULL,"
	"  disabled INTEGER NOT NULL DEFAULT 0,"
	"  created_at INTEGER NOT NULL);"
	"CREATE TABLE user_roles ("
	"  user_id INTEGER NOT NULL REFERENCES users(id),"
	"  role TEXT NOT NULL REFERENCES roles(code),"
	"  PRIMARY KEY (user_id, role)) WITHOUT ROWID;"
	"CREATE TABLE sessions ("
	"  token_hash TEXT PRIMARY KEY,"
	"  user_id INTEGER NOT NULL REFERENCES users(id),"
	"  csrf_token TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL,"
	"  address TEXT NOT NULL);"
	"CREATE INDEX sessions_user ON sessions(user_id);"
	"CREATE TABLE login_failures ("
	"  id INTEGER PRIMARY KEY,"
	"  username TEXT NOT NULL,"
	"  address TEXT NOT NULL,"
	"  at INTEGER NOT NULL);"
	"CREATE INDEX login_failures_user ON login_failures(username, at);"
	"CREATE INDEX login_failures_addr ON login_failures(address, at);"
	"CREATE TABLE meetings ("
	"  id INTEGER PRIMARY KEY,"
	"  title TEXT NOT NULL,"
	"  number TEXT NOT NULL DEFAULT '',"
	"  date TEXT NOT NULL,"
	"  place TEXT NOT NULL DEFAULT '',"
	"  chair TEXT NOT NULL DEFAULT '',"
	"  classification INTEGER NOT NULL CHECK (classification BETWEEN 0 AND 3),"
	"  created_by INTEGER NOT NULL REFERENCES users(id),"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL);"
	"CREATE INDEX meetings_date ON meetings(date DESC, id DESC);"
	"CREATE TABLE blobs ("
	"  sha256 TEXT PRIMARY KEY,"
	"  size INTEGER NOT NULL,"
	"  mime TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE documents ("
	"  id INTEGER PRIMARY KEY,"
	"  meeting_id INTEGER NOT NULL REFERENCES meetings(id),"
	"  stage TEXT NOT NULL CHECK (stage IN ('perencanaan', 'pelaksanaan', 'pelaporan')),"
	"  type TEXT NOT NULL,"
	"  title TEXT NOT NULL,"
	"  classification INTEGER NOT NULL CHECK (classification BETWEEN 0 AND 3),"
	"  source TEXT NOT NULL CHECK (source IN ('scan', 'born_digital')),"
	"  scanned_by TEXT,"
	"  scanned_at TEXT,"
	"  scan_device TEXT,"
	"  scan_pages INTEGER,"
	"  state TEXT NOT NULL DEFAULT 'internal' CHECK (state IN ('internal', 'published', 'verified')),"
	"  created_by INTEGER NOT NULL REFERENCES users(id),"
	"  created_at INTEGER NOT NULL,"
	"  current_version INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX documents_meeting ON documents(meeting_id, stage);"
	"CREATE TABLE document_versions ("
	"  document_id INTEGER NOT NULL REFERENCES documents(id),"
	"  version INTEGER NOT NULL,"
	"  sha256 TEXT NOT NULL REFERENCES blobs(sha256),"
	"  size INTEGER NOT NULL,"
	"  mime TEXT NOT NULL,"
	"  filename TEXT NOT NULL,"
	"  uploaded_by INTEGER NOT NULL REFERENCES users(id),"
	"  uploaded_at INTEGER NOT NULL,"
	"  PRIMARY KEY (document_id, version)) WITHOUT ROWID;"
	"CREATE INDEX document_versions_sha ON document_versions(sha256);"
	/* The audit trail is append-only: the database itself refuses UPDATE and DELETE. */
	"CREATE TABLE audit_log ("
	"  seq INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  actor_id INTEGER,"
	"  actor TEXT NOT NULL,"
	"  address TEXT NOT NULL,"
	"  action TEXT NOT NULL,"
	"  object_type TEXT NOT NULL,"
	"  object_id TEXT NOT NULL,"
	"  detail TEXT NOT NULL,"
	"  prev_hash TEXT NOT NULL,"
	"  hash TEXT NOT NULL);"
	"CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log"
	"  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;"
	"CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log"
	"  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;"
	"CREATE TABLE audit_checkpoints ("
	"  seq INTEGER PRIMARY KEY,"
	"  hash TEXT NOT NULL,"
	"  at INTEGER NOT NULL,"
	"  public_key TEXT NOT NULL,"
	"  signature TEXT NOT NULL);"
	"CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints"
	"  BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;"
	"CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints"
	"  BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;"
	"CREATE TABLE settings ("
	"  key TEXT PRIMARY KEY,"
	"  value TEXT NOT NULL) WITHOUT ROWID;",
	/* 2: the SOP engine — definitions, cases, tasks, artefacts, grants, acting officials */
	"CREATE TABLE sop_versions ("
	"  id INTEGER PRIMARY KEY,"
	"  code TEXT NOT NULL,"
	"  version INTEGER NOT NULL,"
	"  sha256 TEXT NOT NULL,"
	"  title TEXT NOT NULL,"
	"  source TEXT NOT NULL,"
	"  filename TEXT NOT NULL,"
	"  imported_at INTEGER NOT NULL,"
	"  imported_by TEXT NOT NULL,"
	"  UNIQUE (code, version));"
	"ALTER TABLE roles ADD COLUMN superior TEXT;"
	"CREATE TABLE cases ("
	"  id INTEGER PRIMARY KEY,"
	"  meeting_id INTEGER NOT NULL REFERENCES meetings(id),"
	"  sop_version_id INTEGER NOT NULL REFERENCES sop_versions(id),"
	"  state TEXT NOT NULL CHECK (state IN ('open', 'completed', 'kept_internal')),"
	"  started_by INTEGER NOT NULL REFERENCES users(id),"
	"  started_at INTEGER NOT NULL,"
	"  closed_at INTEGER);"
	"CREATE UNIQUE INDEX cases_one_open ON cases(meeting_id) WHERE state = 'open';"
	"CREATE INDEX cases_meeting ON cases(meeting_id);"
	/* One row per step reached: the task of its performer, with Mutu Baku's measurements. */
	"CREATE TABLE tasks ("
	"  id INTEGER PRIMARY KEY,"
	"  case_id INTEGER NOT NULL REFERENCES cases(id),"
	"  step INTEGER NOT NULL,"
	"  role TEXT NOT NULL,"
	"  assignee_id INTEGER REFERENCES users(id),"
	"  from_task_id INTEGER REFERENCES tasks(id),"
	"  state TEXT NOT NULL CHECK (state IN ('available', 'completed', 'cancelled')),"
	"  available_at INTEGER NOT NULL,"
	"  opened_at INTEGER,"
	"  opened_by INTEGER REFERENCES users(id),"
	"  completed_at INTEGER,"
	"  completed_by INTEGER REFERENCES users(id),"
	"  acting_id INTEGER REFERENCES acting(id),"
	"  answer TEXT,"
	"  waktu_minutes INTEGER,"
	"  due_at INTEGER,"
	"  breached INTEGER NOT NULL DEFAULT 0,"
	"  breach_notified_at INTEGER,"
	"  payload TEXT NOT NULL DEFAULT '{}');"
	"CREATE INDEX tasks_case ON tasks(case_id, id);"
	"CREATE INDEX tasks_open ON tasks(state, role);"
	"CREATE INDEX tasks_completed ON tasks(completed_at);"
	/* What steps hand on: checks, decisions, dispositions, reports, verifications. */
	"CREATE TABLE artefacts ("
	"  id INTEGER PRIMARY KEY,"
	"  case_id INTEGER NOT NULL REFERENCES cases(id),"
	"  task_id INTEGER NOT NULL REFERENCES tasks(id),"
	"  kind TEXT NOT NULL CHECK (kind IN ('submission', 'check', 'decision', 'disposition',"
	"    'publication', 'report', 'verification')),"
	"  code TEXT,"
	"  author_id INTEGER NOT NULL REFERENCES users(id),"
	"  to_role TEXT,"
	"  to_user_id INTEGER REFERENCES users(id),"
	"  text TEXT NOT NULL DEFAULT '',"
	"  data TEXT NOT NULL DEFAULT '{}',"
	"  created_at INTEGER NOT NULL);"
	"CREATE INDEX artefacts_case ON artefacts(case_id, id);"
	/* Access rights per document and PIC, given by a publish step. */
	"CREATE TABLE document_grants ("
	"  document_id INTEGER NOT NULL REFERENCES documents(id),"
	"  user_id INTEGER NOT NULL REFERENCES users(id),"
	"  case_id INTEGER NOT NULL REFERENCES cases(id),"
	"  granted_by INTEGER NOT NULL REFERENCES users(id),"
	"  granted_at INTEGER NOT NULL,"
	"  PRIMARY KEY (document_id, user_id)) WITHOUT ROWID;"
	"CREATE INDEX document_grants_user ON document_grants(user_id, document_id);"
	"ALTER TABLE documents ADD COLUMN case_id INTEGER REFERENCES cases(id);"
	"ALTER TABLE documents ADD COLUMN published_at INTEGER;"
	"ALTER TABLE documents ADD COLUMN verified_at INTEGER;"
	/* Plh/Plt: USER_ID performs ROLE (for FOR_USER_ID, when given) between two times. */
	"CREATE TABLE acting ("
	"  id INTEGER PRIMARY KEY,"
	"  user_id INTEGER NOT NULL REFERENCES users(id),"
	"  role TEXT NOT NULL REFERENCES roles(code),"
	"  for_user_id INTEGER REFERENCES users(id),"
	"  kind TEXT NOT NULL CHECK (kind IN ('plh', 'plt')),"
	"  starts_at INTEGER NOT NULL,"
	"  ends_at INTEGER NOT NULL,"
	"  reason TEXT NOT NULL DEFAULT '',"
	"  granted_by INTEGER NOT NULL REFERENCES users(id),"
	"  granted_at INTEGER NOT NULL,"
	"  revoked_at INTEGER,"
	"  CHECK (ends_at > starts_at));"
	"CREATE INDEX acting_user ON acting(user_id, role);"
	"CREATE TABLE notifications ("
	"  id INTEGER PRIMARY KEY,"
	"  user_id INTEGER NOT NULL REFERENCES users(id),"
	"  kind TEXT NOT NULL,"
	"  task_id INTEGER REFERENCES tasks(id),"
	"  case_id INTEGER REFERENCES cases(id),"
	"  message_id TEXT NOT NULL,"
	"  message_en TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  read_at INTEGER);"
	"CREATE INDEX notifications_user ON notifications(user_id, id);",
	/* 3: the audit viewer's filters and the engine's "did the verifier open it" walk the trail by
	 * actor, action and object instead of scanning it. */
	"CREATE INDEX audit_log_actor ON audit_log(actor, seq);"
	"CREATE INDEX audit_log_action ON audit_log(action, seq);"
	"CREATE INDEX audit_log_object ON audit_log(object_type, object_id, seq);",
	/* 4: full-text search (domain/search.c, docs/api.md "Search"). document_texts holds the text
	 * extracted from each version's content, per page (written by the extraction workers through
	 * search_set_text). document_search is an FTS5 table with its own copy of what it indexes, one
	 * row per document (rowid = document id) over the view document_search_source: not
	 * contentless, because snippets need the text and SQLite 3.40 has no contentless_delete; not
	 * external-content, because deleting from one needs the exact old values, which a changed
	 * meeting title or a new version no longer has. It is kept in step by domain/search.c
	 * (triggers cannot write to it: trusted_schema=OFF forbids virtual tables in triggers). The
	 * tokenizer "sidang" (store/search_fts.c) folds case and diacritics and stems Indonesian. */
	"CREATE TABLE document_texts ("
	"  document_id INTEGER NOT NULL REFERENCES documents(id),"
	"  version INTEGER NOT NULL,"
	"  page INTEGER NOT NULL CHECK (page >= 1),"
	"  text TEXT NOT NULL,"
	"  PRIMARY KEY (document_id, version, page)) WITHOUT ROWID;"
	/* The pages are concatenated in key order, which is page order. */
	"CREATE VIEW document_search_source AS SELECT d.id AS id, d.title AS title, d.type AS type,"
	"  coalesce((SELECT v.filename FROM document_versions v WHERE v.document_id = d.id"
	"   AND v.version = d.current_version), '') AS filename,"
	"  m.title || ' ' || m.number || ' ' || m.place || ' ' || m.chair AS meeting,"
	"  coalesce(d.scanned_by, '') || ' ' || coalesce(d.scan_device, '') || ' '"
	"   || coalesce(d.scanned_at, '') AS facts,"
	"  coalesce((SELECT group_concat(t.text, char(10)) FROM document_texts t"
	"   WHERE t.document_id = d.id AND t.version = d.current_version), '') AS body"
	" FROM documents d JOIN meetings m ON m.id = d.meeting_id;"
	"CREATE VIRTUAL TABLE document_search USING fts5(title, type, filename, meeting, facts, body,"
	"  tokenize = 'sidang');"
	/* bm25 weights per column, in the order above: a hit in the title counts most. */
	"INSERT INTO document_search (document_search, rank)"
	"  VALUES ('rank', 'bm25(10.0, 2.0, 3.0, 2.0, 1.0, 1.0)');"
	"INSERT INTO document_search (rowid, title, type, filename, meeting, facts, body)"
	"  SELECT id, title, type, filename, meeting, facts, body FROM document_search_source;",
	/* 5: the job queue (jobs/queue.c, docs/internals/jobs.md). attempts counts starts; a job
	 * is claimed from one of the two partial indexes. */
	"CREATE TABLE jobs ("
	"  id INTEGER PRIMARY KEY,"
	"  kind TEXT NOT NULL,"
	"  document_id INTEGER REFERENCES documents(id),"
	"  version INTEGER,"
	"  params TEXT,"
	"  state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),"
	"  run_after INTEGER NOT NULL,"
	"  lease_owner TEXT,"
	"  lease_until INTEGER,"
	"  progress INTEGER NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),"
	"  error TEXT,"
	"  created_at INTEGER NOT NULL,"
	"  started_at INTEGER,"
	"  finished_at INTEGER,"
	"  result TEXT,"
	"  UNIQUE (kind, document_id, version));"
	"CREATE INDEX jobs_due ON jobs(run_after, id) WHERE state = 'queued';"
	"CREATE INDEX jobs_leases ON jobs(lease_until, id) WHERE state = 'running';"
	"CREATE INDEX jobs_document ON jobs(document_id, id);",
	/* 6: files derived from a document version by the workers (jobs/kind_ocr.c and others):
	 * the searchable PDF, the first page's thumbnail, an office file's PDF preview. Each is a
	 * blob of its own beside the untouched original; listed in blobs so the sweep keeps it. */
	"CREATE TABLE derived_files ("
	"  document_id INTEGER NOT NULL REFERENCES documents(id),"
	"  version INTEGER NOT NULL,"
	"  kind TEXT NOT NULL CHECK (kind IN ('searchable_pdf', 'thumbnail', 'preview_pdf')),"
	"  sha256 TEXT NOT NULL REFERENCES blobs(sha256),"
	"  size INTEGER NOT NULL,"
	"  mime TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  PRIMARY KEY (document_id, version, kind)) WITHOUT ROWID;"
	"CREATE INDEX derived_files_sha ON derived_files(sha256);",
	/* 7: the scanner inbox and `sidang import` (domain/intake.c, docs/internals/intake.md). An
	 * item is a file taken in, waiting to be filed as a document; its bytes are a blob (listed in
	 * blobs so the sweep keeps it). filename is the sanitised name, which with size and sha256
	 * recognises a file taken before (a crash between the commit and the source's removal, an
	 * import run twice). taken_by is NULL for the watch folder, the system user for the CLI. */
	"CREATE TABLE intake_items ("
	"  id INTEGER PRIMARY KEY,"
	"  sha256 TEXT NOT NULL REFERENCES blobs(sha256),"
	"  size INTEGER NOT NULL,"
	"  mime TEXT NOT NULL,"
	"  filename TEXT NOT NULL,"
	"  source TEXT NOT NULL CHECK (source IN ('watch', 'import')),"
	"  taken_at INTEGER NOT NULL,"
	"  taken_by TEXT,"
	"  state TEXT NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'filed', 'discarded')),"
	"  document_id INTEGER REFERENCES documents(id),"
	"  discard_reason TEXT,"
	"  decided_by INTEGER REFERENCES users(id),"
	"  decided_at INTEGER,"
	"  duplicate_document_id INTEGER REFERENCES documents(id),"
	"  duplicate_item_id INTEGER REFERENCES intake_items(id),"
	"  CHECK ((state = 'filed') = (document_id IS NOT NULL)),"
	"  CHECK ((state = 'discarded') = (discard_reason IS NOT NULL)));"
	"CREATE INDEX intake_items_sha ON intake_items(sha256);"
	"CREATE INDEX intake_items_waiting ON intake_items(id) WHERE state = 'waiting';",
	/* -- end migrations -- */
};

const int sql_migration_count = (int)(sizeof sql_migrations / sizeof sql_migrations[0]);

static const char *const texts[SQL__COUNT] = {
	/* code, name_id, name_en, kind */
	[SQL_ROLE_LIST] = "SELECT code, name_id, name_en, kind FROM roles ORDER BY sort",
	[SQL_ROLE_EXISTS] = "SELECT 1 FROM roles WHERE code = ?1",

	[SQL_USER_INSERT] = "INSERT INTO users (username, display_name, nip, unit, clearance,"
			    " password_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	/* id, username, display_name, nip, unit, clearance, password_hash, disabled, created_at */
	[SQL_USER_BY_NAME] = "SELECT id, username, display_name, nip, unit, clearance, password_hash,"
			     " disabled, created_at FROM users WHERE username = ?1",
	[SQL_USER_BY_ID] = "SELECT id, username, display_name, nip, unit, clearance, password_hash,"
			   " disabled, created_at FROM users WHERE id = ?1",
	[SQL_USER_LIST] = "SELECT id, username, display_name, nip, unit, clearance, password_hash,"
			  " disabled, created_at FROM users ORDER BY username",
	[SQL_USER_SET_PASSWORD] = "UPDATE users SET password_hash = ?2 WHERE id = ?1",
	[SQL_USER_SET_DISABLED] = "UPDATE users SET disabled = ?2 WHERE id = ?1",
	/* password_hash, disabled: re-read by a login inside the transaction that creates its
	 * session, to see a password change or a disable made while Argon2id ran */
	[SQL_USER_AUTH_STATE] = "SELECT password_hash, disabled FROM users WHERE id = ?1",
	/* A login's rehash: only while the stored hash is still the one the password was verified
	 * against (?3), so it never writes an old password over a new one */
	[SQL_USER_REHASH] = "UPDATE users SET password_hash = ?2 WHERE id = ?1 AND password_hash = ?3",
	/* role */
	/* role, kind */
	[SQL_USER_ROLES] = "SELECT ur.role, r.kind FROM user_roles ur JOIN roles r ON r.code = ur.role"
			   " WHERE ur.user_id = ?1 ORDER BY r.sort",
	[SQL_USER_ROLE_ADD] = "INSERT OR IGNORE INTO user_roles (user_id, role) VALUES (?1, ?2)",
	[SQL_USER_ROLE_REMOVE] = "DELETE FROM user_roles WHERE user_id = ?1 AND role = ?2",

	[SQL_SESSION_INSERT] = "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at,"
			       " last_seen, address) VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
	/* user_id, csrf_token, created_at, last_seen */
	[SQL_SESSION_GET] = "SELECT user_id, csrf_token, created_at, last_seen FROM sessions"
			    " WHERE token_hash = ?1",
	[SQL_SESSION_TOUCH] = "UPDATE sessions SET last_seen = ?2 WHERE token_hash = ?1",
	[SQL_SESSION_DELETE] = "DELETE FROM sessions WHERE token_hash = ?1",
	[SQL_SESSION_DELETE_USER] = "DELETE FROM sessions WHERE user_id = ?1",
	[SQL_SESSION_DELETE_EXPIRED] = "DELETE FROM sessions WHERE last_seen < ?1 OR created_at < ?2",

	[SQL_LOGIN_FAIL_INSERT] = "INSERT INTO login_failures (username, address, at) VALUES (?1, ?2, ?3)",
	/* count, oldest at (NULL when none) */
	[SQL_LOGIN_FAIL_COUNT_USER] = "SELECT count(*), min(at) FROM login_failures"
				      " WHERE username = ?1 AND at >= ?2",
	[SQL_LOGIN_FAIL_COUNT_IP] = "SELECT count(*), min(at) FROM login_failures"
				    " WHERE address = ?1 AND at >= ?2",
	[SQL_LOGIN_FAIL_CLEAR_USER] = "DELETE FROM login_failures WHERE username = ?1",
	[SQL_LOGIN_FAIL_PRUNE] = "DELETE FROM login_failures WHERE at < ?1",

	[SQL_MEETING_INSERT] = "INSERT INTO meetings (title, number, date, place, chair, classification,"
			       " created_by, created_at, updated_at)"
			       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
	/* id, title, number, date, place, chair, classification, created_by (username),
	 * created_at, updated_at, document_count (of documents at or below ?2, the reader's
	 * ceiling, so the count never reveals what the reader may not see) */
	[SQL_MEETING_GET] = "SELECT m.id, m.title, m.number, m.date, m.place, m.chair, m.classification,"
			    " u.username, m.created_at, m.updated_at,"
			    " (SELECT count(*) FROM documents d WHERE d.meeting_id = m.id"
			    "  AND d.classification <= ?2)"
			    " FROM meetings m JOIN users u ON u.id = m.created_by WHERE m.id = ?1",
	[SQL_MEETING_UPDATE] = "UPDATE meetings SET title = ?2, number = ?3, date = ?4, place = ?5,"
			       " chair = ?6, classification = ?7, updated_at = ?8 WHERE id = ?1",
	/* as SQL_MEETING_GET; ?1 = the reader's clearance, ?2 limit, ?3 offset */
	[SQL_MEETING_LIST] = "SELECT m.id, m.title, m.number, m.date, m.place, m.chair, m.classification,"
			     " u.username, m.created_at, m.updated_at,"
			     " (SELECT count(*) FROM documents d WHERE d.meeting_id = m.id"
			     "  AND d.classification <= ?1)"
			     " FROM meetings m JOIN users u ON u.id = m.created_by"
			     " WHERE m.classification <= ?1 ORDER BY m.date DESC, m.id DESC LIMIT ?2 OFFSET ?3",
	[SQL_MEETING_COUNT] = "SELECT count(*) FROM meetings WHERE classification <= ?1",

	[SQL_BLOB_UPSERT] = "INSERT INTO blobs (sha256, size, mime, created_at) VALUES (?1, ?2, ?3, ?4)"
			    " ON CONFLICT (sha256) DO NOTHING",
	[SQL_BLOB_EXISTS] = "SELECT 1 FROM blobs WHERE sha256 = ?1",

	[SQL_DOCUMENT_INSERT] = "INSERT INTO documents (meeting_id, stage, type, title, classification,"
				" source, scanned_by, scanned_at, scan_device, scan_pages, created_by,"
				" created_at, current_version)"
				" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 1)",
	/* id, meeting_id, stage, type, title, classification, source, scanned_by, scanned_at,
	 * scan_device, scan_pages, state, created_by (username), created_at, current_version,
	 * meeting classification */
	[SQL_DOCUMENT_GET] = "SELECT d.id, d.meeting_id, d.stage, d.type, d.title, d.classification,"
			     " d.source, d.scanned_by, d.scanned_at, d.scan_device, d.scan_pages, d.state,"
			     " u.username, d.created_at, d.current_version, m.classification"
			     " FROM documents d JOIN users u ON u.id = d.created_by"
			     " JOIN meetings m ON m.id = d.meeting_id WHERE d.id = ?1",
	/* as SQL_DOCUMENT_GET; ?1 meeting, ?2 stage or NULL, ?3 the reader's clearance */
	[SQL_DOCUMENT_LIST] = "SELECT d.id, d.meeting_id, d.stage, d.type, d.title, d.classification,"
			      " d.source, d.scanned_by, d.scanned_at, d.scan_device, d.scan_pages, d.state,"
			      " u.username, d.created_at, d.current_version, m.classification"
			      " FROM documents d JOIN users u ON u.id = d.created_by"
			      " JOIN meetings m ON m.id = d.meeting_id"
			      " WHERE d.meeting_id = ?1 AND (?2 IS NULL OR d.stage = ?2)"
			      " AND d.classification <= ?3"
			      " ORDER BY CASE d.stage WHEN 'perencanaan' THEN 1 WHEN 'pelaksanaan' THEN 2"
			      " ELSE 3 END, d.id",
	[SQL_DOCUMENT_SET_VERSION] = "UPDATE documents SET current_version = ?2 WHERE id = ?1",
	[SQL_VERSION_INSERT] = "INSERT INTO document_versions (document_id, version, sha256, size, mime,"
			       " filename, uploaded_by, uploaded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	/* version, sha256, size, mime, filename, uploaded_by (username), uploaded_at */
	[SQL_VERSION_LIST] = "SELECT v.version, v.sha256, v.size, v.mime, v.filename, u.username,"
			     " v.uploaded_at FROM document_versions v JOIN users u ON u.id = v.uploaded_by"
			     " WHERE v.document_id = ?1 ORDER BY v.version DESC",
	[SQL_VERSION_GET] = "SELECT v.version, v.sha256, v.size, v.mime, v.filename, u.username,"
			    " v.uploaded_at FROM document_versions v JOIN users u ON u.id = v.uploaded_by"
			    " WHERE v.document_id = ?1 AND v.version = ?2",

	/* seq, hash */
	[SQL_AUDIT_LAST] = "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
	[SQL_AUDIT_INSERT] = "INSERT INTO audit_log (seq, at, actor_id, actor, address, action,"
			     " object_type, object_id, detail, prev_hash, hash)"
			     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
	/* seq, at, actor_id, actor, address, action, object_type, object_id, detail, prev_hash, hash;
	 * ?1 = first seq, ?2 = limit */
	[SQL_AUDIT_SCAN] = "SELECT seq, at, actor_id, actor, address, action, object_type, object_id,"
			   " detail, prev_hash, hash FROM audit_log WHERE seq >= ?1 ORDER BY seq LIMIT ?2",
	[SQL_AUDIT_COUNT] = "SELECT count(*) FROM audit_log",
	[SQL_AUDIT_CHECKPOINT_INSERT] = "INSERT INTO audit_checkpoints (seq, hash, at, public_key, signature)"
					" VALUES (?1, ?2, ?3, ?4, ?5)",
	/* seq, hash, at, public_key, signature */
	[SQL_AUDIT_CHECKPOINT_SCAN] = "SELECT seq, hash, at, public_key, signature FROM audit_checkpoints"
				      " ORDER BY seq",
	[SQL_AUDIT_CHECKPOINT_LAST] = "SELECT seq, hash, at, public_key, signature FROM audit_checkpoints"
				      " ORDER BY seq DESC LIMIT 1",

	[SQL_SETTING_GET] = "SELECT value FROM settings WHERE key = ?1",
	[SQL_SETTING_SET] = "INSERT INTO settings (key, value) VALUES (?1, ?2)"
			    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",

	/* sop definitions (domain/sop.c) */
	/* id, version, sha256 */
	[SQL_SOP_LATEST] = "SELECT id, version, sha256 FROM sop_versions WHERE code = ?1"
			   " ORDER BY version DESC LIMIT 1",
	/* id, version, sha256 */
	[SQL_SOP_BY_SHA] = "SELECT id, version, sha256 FROM sop_versions WHERE code = ?1"
			   " AND sha256 = ?2 ORDER BY version DESC LIMIT 1",
	/* id */
	[SQL_SOP_FIND] = "SELECT id FROM sop_versions WHERE code = ?1 AND version = ?2",
	[SQL_SOP_INSERT] = "INSERT INTO sop_versions (code, version, sha256, title, source, filename,"
			   " imported_at, imported_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	/* code, version, sha256, source, filename */
	[SQL_SOP_GET] = "SELECT code, version, sha256, source, filename FROM sop_versions WHERE id = ?1",
	/* id, code, version, sha256, title, filename, imported_at, imported_by */
	[SQL_SOP_LIST] = "SELECT id, code, version, sha256, title, filename, imported_at, imported_by"
			 " FROM sop_versions ORDER BY code, version",
	/* A role of another kind (admin, auditor, reader) is never taken over by a definition. */
	[SQL_SOP_ROLE_UPSERT] = "INSERT INTO roles (code, name_id, name_en, kind, sort, superior)"
				" VALUES (?1, ?2, ?3, 'sop', ?4, ?5) ON CONFLICT (code) DO UPDATE SET"
				" name_id = excluded.name_id, name_en = excluded.name_en,"
				" sort = excluded.sort, superior = excluded.superior"
				" WHERE roles.kind = 'sop'",
	/* name_id, name_en, kind, sort, superior */
	[SQL_SOP_ROLE_GET] = "SELECT name_id, name_en, kind, sort, superior FROM roles WHERE code = ?1",
	/* -- end sop -- */

	/* engine: cases, tasks, artefacts, grants, acting (domain/engine.c) */
	[SQL_CASE_INSERT] = "INSERT INTO cases (meeting_id, sop_version_id, state, started_by, started_at)"
			    " VALUES (?1, ?2, 'open', ?3, ?4)",
	/* id, meeting_id, sop_version_id, state, started_by, started_at, closed_at */
	[SQL_CASE_GET] = "SELECT id, meeting_id, sop_version_id, state, started_by, started_at, closed_at"
			 " FROM cases WHERE id = ?1",
	[SQL_CASE_LATEST_FOR_MEETING] = "SELECT id, meeting_id, sop_version_id, state, started_by,"
					" started_at, closed_at FROM cases WHERE meeting_id = ?1"
					" ORDER BY id DESC LIMIT 1",
	/* state of a case that blocks a new one (open, or kept internal) */
	[SQL_CASE_OPEN_OR_INTERNAL_FOR_MEETING] = "SELECT state FROM cases WHERE meeting_id = ?1"
						  " AND state IN ('open', 'kept_internal') LIMIT 1",
	[SQL_CASE_CLOSE] = "UPDATE cases SET state = ?2, closed_at = ?3 WHERE id = ?1 AND state = 'open'",

	[SQL_TASK_INSERT] = "INSERT INTO tasks (case_id, step, role, assignee_id, from_task_id, state,"
			    " available_at, waktu_minutes, due_at) VALUES (?1, ?2, ?3, ?4, ?5, 'available',"
			    " ?6, ?7, ?8)",
	/* id, case_id, step, role, assignee_id, from_task_id, state, available_at, opened_at,
	 * opened_by, completed_at, completed_by, acting_id, answer, waktu_minutes, due_at, breached,
	 * payload, meeting_id, case state, sop_version_id, meeting classification */
	[SQL_TASK_GET] = "SELECT t.id, t.case_id, t.step, t.role, t.assignee_id, t.from_task_id, t.state,"
			 " t.available_at, t.opened_at, t.opened_by, t.completed_at, t.completed_by,"
			 " t.acting_id, t.answer, t.waktu_minutes, t.due_at, t.breached, t.payload,"
			 " c.meeting_id, c.state, c.sop_version_id, m.classification"
			 " FROM tasks t JOIN cases c ON c.id = t.case_id"
			 " JOIN meetings m ON m.id = c.meeting_id WHERE t.id = ?1",
	[SQL_TASK_LIST_CASE] = "SELECT t.id, t.case_id, t.step, t.role, t.assignee_id, t.from_task_id,"
			       " t.state, t.available_at, t.opened_at, t.opened_by, t.completed_at,"
			       " t.completed_by, t.acting_id, t.answer, t.waktu_minutes, t.due_at,"
			       " t.breached, t.payload, c.meeting_id, c.state, c.sop_version_id,"
			       " m.classification FROM tasks t JOIN cases c ON c.id = t.case_id"
			       " JOIN meetings m ON m.id = c.meeting_id WHERE t.case_id = ?1 ORDER BY t.id",
	[SQL_TASK_LIST_AVAILABLE] = "SELECT t.id, t.case_id, t.step, t.role, t.assignee_id,"
				    " t.from_task_id, t.state, t.available_at, t.opened_at, t.opened_by,"
				    " t.completed_at, t.completed_by, t.acting_id, t.answer,"
				    " t.waktu_minutes, t.due_at, t.breached, t.payload, c.meeting_id,"
				    " c.state, c.sop_version_id, m.classification FROM tasks t"
				    " JOIN cases c ON c.id = t.case_id JOIN meetings m ON m.id = c.meeting_id"
				    " WHERE t.state = 'available' AND c.state = 'open'"
				    " ORDER BY t.available_at, t.id",
	[SQL_TASK_SET_OPENED] = "UPDATE tasks SET opened_at = ?2, opened_by = ?3 WHERE id = ?1"
				" AND opened_at IS NULL",
	/* Only an available task completes: a second completer changes no row. */
	[SQL_TASK_COMPLETE] = "UPDATE tasks SET state = 'completed', completed_at = ?2, completed_by = ?3,"
			      " acting_id = ?4, answer = ?5, payload = ?6"
			      " WHERE id = ?1 AND state = 'available'",
	[SQL_TASK_CANCEL_OPEN] = "UPDATE tasks SET state = 'cancelled' WHERE case_id = ?1"
				 " AND state = 'available'",

	[SQL_ARTEFACT_INSERT] = "INSERT INTO artefacts (case_id, task_id, kind, code, author_id, to_role,"
				" to_user_id, text, data, created_at)"
				" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[SQL_ARTEFACT_SET_CODE] = "UPDATE artefacts SET code = ?2 WHERE id = ?1",
	/* id, task_id, step, kind, code, author_id, to_role, to_user_id, text, data, created_at */
	[SQL_ARTEFACT_LIST_CASE] = "SELECT a.id, a.task_id, t.step, a.kind, a.code, a.author_id, a.to_role,"
				   " a.to_user_id, a.text, a.data, a.created_at FROM artefacts a"
				   " JOIN tasks t ON t.id = a.task_id WHERE a.case_id = ?1 ORDER BY a.id",
	[SQL_ARTEFACT_LIST_TASK] = "SELECT a.id, a.task_id, t.step, a.kind, a.code, a.author_id, a.to_role,"
				   " a.to_user_id, a.text, a.data, a.created_at FROM artefacts a"
				   " JOIN tasks t ON t.id = a.task_id WHERE a.task_id = ?1 ORDER BY a.id",
	[SQL_ARTEFACT_CODE_EXISTS] = "SELECT 1 FROM artefacts WHERE case_id = ?1 AND code = ?2 LIMIT 1",

	[SQL_GRANT_INSERT] = "INSERT INTO document_grants (document_id, user_id, case_id, granted_by,"
			     " granted_at) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
	/* user id */
	[SQL_GRANT_LIST_DOCUMENT] = "SELECT user_id FROM document_grants WHERE document_id = ?1"
				    " ORDER BY user_id",
	/* A PIC's read of a document: granted, published or verified, within clearance ?3. */
	[SQL_GRANT_VISIBLE] = "SELECT 1 FROM document_grants g JOIN documents d ON d.id = g.document_id"
			      " JOIN meetings m ON m.id = d.meeting_id"
			      " WHERE g.document_id = ?1 AND g.user_id = ?2"
			      " AND d.state IN ('published', 'verified')"
			      " AND d.classification <= ?3 AND m.classification <= ?3",
	[SQL_DOCUMENT_PUBLISH] = "UPDATE documents SET state = 'published', case_id = ?2, published_at = ?3"
				 " WHERE id = ?1 AND state = 'internal'",
	[SQL_DOCUMENT_VERIFY] = "UPDATE documents SET state = 'verified', verified_at = ?2"
				" WHERE id = ?1 AND state = 'published'",
	/* id */
	[SQL_DOCUMENT_LIST_CASE_PUBLISHED] = "SELECT id FROM documents WHERE case_id = ?1"
					     " AND state = 'published' ORDER BY id",
	[SQL_DOCUMENT_OPENED_BY] = "SELECT 1 FROM audit_log WHERE object_type = 'document'"
				   " AND object_id = ?1 AND actor_id = ?2 AND at >= ?3"
				   " AND action IN ('document.view', 'document.download') LIMIT 1",
	/* as SQL_DOCUMENT_LIST, for a PIC: ?1 meeting, ?2 stage or NULL, ?3 clearance, ?4 user */
	[SQL_DOCUMENT_LIST_PIC] = "SELECT d.id, d.meeting_id, d.stage, d.type, d.title, d.classification,"
				  " d.source, d.scanned_by, d.scanned_at, d.scan_device, d.scan_pages, d.state,"
				  " u.username, d.created_at, d.current_version, m.classification"
				  " FROM documents d JOIN users u ON u.id = d.created_by"
				  " JOIN meetings m ON m.id = d.meeting_id"
				  " JOIN document_grants g ON g.document_id = d.id AND g.user_id = ?4"
				  " WHERE d.meeting_id = ?1 AND (?2 IS NULL OR d.stage = ?2)"
				  " AND d.classification <= ?3 AND m.classification <= ?3"
				  " AND d.state IN ('published', 'verified')"
				  " ORDER BY CASE d.stage WHEN 'perencanaan' THEN 1 WHEN 'pelaksanaan' THEN 2"
				  " ELSE 3 END, d.id",
	/* as SQL_MEETING_LIST, for a PIC: meetings holding a document visible to them.
	 * ?1 clearance, ?2 limit, ?3 offset, ?4 user */
	[SQL_MEETING_LIST_PIC] = "SELECT m.id, m.title, m.number, m.date, m.place, m.chair, m.classification,"
				 " u.username, m.created_at, m.updated_at,"
				 " (SELECT count(*) FROM documents d JOIN document_grants g"
				 "  ON g.document_id = d.id AND g.user_id = ?4 WHERE d.meeting_id = m.id"
				 "  AND d.classification <= ?1 AND d.state IN ('published', 'verified'))"
				 " FROM meetings m JOIN users u ON u.id = m.created_by"
				 " WHERE m.classification <= ?1 AND EXISTS (SELECT 1 FROM documents d"
				 "  JOIN document_grants g ON g.document_id = d.id AND g.user_id = ?4"
				 "  WHERE d.meeting_id = m.id AND d.classification <= ?1"
				 "  AND d.state IN ('published', 'verified'))"
				 " ORDER BY m.date DESC, m.id DESC LIMIT ?2 OFFSET ?3",
	[SQL_MEETING_COUNT_PIC] = "SELECT count(*) FROM meetings m WHERE m.classification <= ?1"
				  " AND EXISTS (SELECT 1 FROM documents d JOIN document_grants g"
				  "  ON g.document_id = d.id AND g.user_id = ?2 WHERE d.meeting_id = m.id"
				  "  AND d.classification <= ?1 AND d.state IN ('published', 'verified'))",
	[SQL_MEETING_VISIBLE_PIC] = "SELECT 1 FROM meetings m WHERE m.id = ?1 AND m.classification <= ?2"
				    " AND EXISTS (SELECT 1 FROM documents d JOIN document_grants g"
				    "  ON g.document_id = d.id AND g.user_id = ?3 WHERE d.meeting_id = m.id"
				    "  AND d.classification <= ?2 AND d.state IN ('published', 'verified'))",
	/* as SQL_MEETING_GET with the PIC's count: ?1 id, ?2 clearance, ?3 user */
	[SQL_MEETING_GET_PIC] = "SELECT m.id, m.title, m.number, m.date, m.place, m.chair, m.classification,"
				" u.username, m.created_at, m.updated_at,"
				" (SELECT count(*) FROM documents d JOIN document_grants g"
				"  ON g.document_id = d.id AND g.user_id = ?3 WHERE d.meeting_id = m.id"
				"  AND d.classification <= ?2 AND d.state IN ('published', 'verified'))"
				" FROM meetings m JOIN users u ON u.id = m.created_by WHERE m.id = ?1",

	[SQL_ACTING_INSERT] = "INSERT INTO acting (user_id, role, for_user_id, kind, starts_at, ends_at,"
			      " reason, granted_by, granted_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	/* id, user_id, role, for_user_id, kind, starts_at, ends_at, reason, granted_by, granted_at,
	 * revoked_at */
	[SQL_ACTING_GET] = "SELECT id, user_id, role, for_user_id, kind, starts_at, ends_at, reason,"
			   " granted_by, granted_at, revoked_at FROM acting WHERE id = ?1",
	[SQL_ACTING_LIST_ALL] = "SELECT id, user_id, role, for_user_id, kind, starts_at, ends_at, reason,"
				" granted_by, granted_at, revoked_at FROM acting ORDER BY id DESC LIMIT 500",
	[SQL_ACTING_LIST_USER] = "SELECT id, user_id, role, for_user_id, kind, starts_at, ends_at, reason,"
				 " granted_by, granted_at, revoked_at FROM acting WHERE user_id = ?1"
				 " OR for_user_id = ?1 ORDER BY id DESC LIMIT 500",
	[SQL_ACTING_REVOKE] = "UPDATE acting SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
	/* id, role, for_user_id, kind: the user's acting grants in force at ?2 */
	[SQL_ACTING_ACTIVE] = "SELECT id, role, for_user_id, kind FROM acting WHERE user_id = ?1"
			      " AND revoked_at IS NULL AND starts_at <= ?2 AND ends_at > ?2 ORDER BY id",
	/* id: active holders of role ?1 */
	[SQL_USERS_WITH_ROLE] = "SELECT u.id FROM users u JOIN user_roles r ON r.user_id = u.id"
				" WHERE r.role = ?1 AND u.disabled = 0 ORDER BY u.display_name",
	/* id: ?1 LIKE pattern or NULL, ?2 role or NULL, ?3 limit */
	[SQL_DIRECTORY_SEARCH] = "SELECT u.id FROM users u WHERE u.disabled = 0"
				 " AND (?1 IS NULL OR u.username LIKE ?1 ESCAPE '\\'"
				 "  OR u.display_name LIKE ?1 ESCAPE '\\' OR u.nip LIKE ?1 ESCAPE '\\'"
				 "  OR u.unit LIKE ?1 ESCAPE '\\')"
				 " AND (?2 IS NULL OR EXISTS (SELECT 1 FROM user_roles r"
				 "  WHERE r.user_id = u.id AND r.role = ?2))"
				 " ORDER BY u.display_name, u.id LIMIT ?3",
	/* -- end engine -- */

	/* compliance and notifications (domain/compliance.c) */
	/* id, case_id, step, role, state, available_at, completed_at, waktu_minutes,
	 * breach_notified_at, meeting id, meeting title, meeting classification */
	[SQL_COMPLIANCE_TASK_GET] = "SELECT t.id, t.case_id, t.step, t.role, t.state, t.available_at,"
				    " t.completed_at, t.waktu_minutes, t.breach_notified_at, m.id,"
				    " m.title, m.classification FROM tasks t"
				    " JOIN cases c ON c.id = t.case_id JOIN meetings m ON m.id = c.meeting_id"
				    " WHERE t.id = ?1",
	[SQL_COMPLIANCE_TASK_FLAG] = "UPDATE tasks SET breached = 1 WHERE id = ?1",
	/* changes() is 0 when the task was notified already: a breach is notified once */
	[SQL_COMPLIANCE_TASK_NOTIFIED] = "UPDATE tasks SET breached = 1, breach_notified_at = ?2"
					 " WHERE id = ?1 AND breach_notified_at IS NULL",
	/* id; ?1 = now */
	[SQL_COMPLIANCE_OVERDUE] = "SELECT id FROM tasks WHERE state = 'available' AND due_at IS NOT NULL"
				   " AND due_at < ?1 AND breach_notified_at IS NULL ORDER BY id",
	/* name_id, name_en, superior */
	[SQL_COMPLIANCE_ROLE_GET] = "SELECT name_id, name_en, superior FROM roles WHERE code = ?1",
	/* id, clearance: active holders of role ?1 and officials acting for it at ?2 */
	[SQL_COMPLIANCE_RECIPIENTS] = "SELECT u.id, u.clearance FROM users u WHERE u.disabled = 0"
				      " AND u.id IN (SELECT user_id FROM user_roles WHERE role = ?1"
				      " UNION SELECT user_id FROM acting WHERE role = ?1"
				      " AND revoked_at IS NULL AND starts_at <= ?2 AND ?2 < ends_at)"
				      " ORDER BY u.id",
	/* a row when user ?1 acts for role ?2 at ?3 */
	[SQL_COMPLIANCE_ACTING_FOR] = "SELECT 1 FROM acting WHERE user_id = ?1 AND role = ?2"
				      " AND revoked_at IS NULL AND starts_at <= ?3 AND ?3 < ends_at LIMIT 1",
	/* tasks completed in [?1, ?2]: case_id, step, role, available_at, completed_at,
	 * waktu_minutes, breached, sop_version_id, sop code, completed_by, username, display_name */
	[SQL_COMPLIANCE_REPORT_COMPLETED] = "SELECT t.case_id, t.step, t.role, t.available_at,"
					    " t.completed_at, t.waktu_minutes, t.breached,"
					    " c.sop_version_id, v.code, t.completed_by, u.username,"
					    " u.display_name FROM tasks t"
					    " JOIN cases c ON c.id = t.case_id"
					    " JOIN sop_versions v ON v.id = c.sop_version_id"
					    " LEFT JOIN users u ON u.id = t.completed_by"
					    " WHERE t.state = 'completed'"
					    " AND t.completed_at BETWEEN ?1 AND ?2 ORDER BY t.id",
	/* tasks open now that became available by ?1: case_id, step, role, available_at, due_at,
	 * waktu_minutes, breached, sop_version_id, sop code */
	[SQL_COMPLIANCE_REPORT_OPEN] = "SELECT t.case_id, t.step, t.role, t.available_at, t.due_at,"
				       " t.waktu_minutes, t.breached, c.sop_version_id, v.code"
				       " FROM tasks t JOIN cases c ON c.id = t.case_id"
				       " JOIN sop_versions v ON v.id = c.sop_version_id"
				       " WHERE t.state = 'available' AND t.available_at <= ?1 ORDER BY t.id",
	/* cases open at some time in [?1, ?2]: id, meeting_id, meeting title, meeting
	 * classification, state, started_at, closed_at, tasks reached, tasks breached */
	[SQL_COMPLIANCE_REPORT_CASES] = "SELECT c.id, c.meeting_id, m.title, m.classification, c.state,"
					" c.started_at, c.closed_at,"
					" (SELECT count(*) FROM tasks t WHERE t.case_id = c.id"
					"  AND t.state <> 'cancelled'),"
					" (SELECT count(*) FROM tasks t WHERE t.case_id = c.id"
					"  AND t.breached = 1)"
					" FROM cases c JOIN meetings m ON m.id = c.meeting_id"
					" WHERE c.started_at <= ?2 AND (c.closed_at IS NULL OR c.closed_at >= ?1)"
					" ORDER BY c.started_at, c.id",
	/* cases closed in [?1, ?2]: state, closed_at */
	[SQL_COMPLIANCE_REPORT_CLOSED] = "SELECT state, closed_at FROM cases"
					 " WHERE closed_at BETWEEN ?1 AND ?2"
					 " AND state IN ('completed', 'kept_internal')",
	[SQL_NOTIFICATION_INSERT] = "INSERT INTO notifications (user_id, kind, task_id, case_id,"
				    " message_id, message_en, created_at)"
				    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	/* id, kind, task_id, case_id, message_id, message_en, created_at, read_at; ?2 = limit */
	[SQL_NOTIFICATION_LIST] = "SELECT id, kind, task_id, case_id, message_id, message_en,"
				  " created_at, read_at FROM notifications WHERE user_id = ?1"
				  " ORDER BY id DESC LIMIT ?2",
	[SQL_NOTIFICATION_UNREAD] = "SELECT count(*) FROM notifications"
				    " WHERE user_id = ?1 AND read_at IS NULL",
	/* changes() is 0 when notification ?1 is not user ?2's */
	[SQL_NOTIFICATION_READ] = "UPDATE notifications SET read_at = coalesce(read_at, ?3)"
				  " WHERE id = ?1 AND user_id = ?2",
	/* -- end compliance -- */

	/* administration and audit queries (domain/users.c, domain/audit_query.c) */
	[SQL_ADMIN_USER_UPDATE] = "UPDATE users SET display_name = ?2, nip = ?3, unit = ?4, clearance = ?5,"
				  " disabled = ?6 WHERE id = ?1",
	/* count: active holders of 'admin' other than user ?1 */
	[SQL_ADMIN_ACTIVE_ADMINS_EXCEPT] = "SELECT count(*) FROM users u JOIN user_roles r"
					   " ON r.user_id = u.id WHERE r.role = 'admin'"
					   " AND u.disabled = 0 AND u.id <> ?1",
	/* code, name_id, name_en, kind, superior, active holders */
	[SQL_ADMIN_ROLE_LIST] = "SELECT r.code, r.name_id, r.name_en, r.kind, r.superior,"
				" (SELECT count(*) FROM user_roles ur JOIN users u ON u.id = ur.user_id"
				"  WHERE ur.role = r.code AND u.disabled = 0)"
				" FROM roles r ORDER BY r.sort, r.code",
	/* seq, at, actor_id, actor, address, action, object_type, object_id, detail, prev_hash, hash;
	 * newest first. Each filter is NULL for "any": ?1 actor, ?2 action (exact), ?3 action prefix,
	 * ?4 object_type, ?5 object_id, ?6 at from, ?7 at to (inclusive), ?8 meeting id (the meeting
	 * itself, its documents, cases and tasks, and any entry whose detail names it), ?9 seq below,
	 * ?10 limit. A detail that is not JSON (an altered entry) is shown, never an error. */
	[SQL_AUDIT_QUERY] = "SELECT seq, at, actor_id, actor, address, action, object_type, object_id,"
			    " detail, prev_hash, hash FROM audit_log"
			    " WHERE (?1 IS NULL OR actor = ?1)"
			    " AND (?2 IS NULL OR action = ?2)"
			    " AND (?3 IS NULL OR substr(action, 1, length(?3)) = ?3)"
			    " AND (?4 IS NULL OR object_type = ?4)"
			    " AND (?5 IS NULL OR object_id = ?5)"
			    " AND (?6 IS NULL OR at >= ?6)"
			    " AND (?7 IS NULL OR at <= ?7)"
			    " AND (?8 IS NULL"
			    "  OR (object_type = 'meeting' AND object_id = CAST(?8 AS TEXT))"
			    "  OR (object_type = 'document' AND object_id IN"
			    "   (SELECT CAST(id AS TEXT) FROM documents WHERE meeting_id = ?8))"
			    "  OR (object_type = 'case' AND object_id IN"
			    "   (SELECT CAST(id AS TEXT) FROM cases WHERE meeting_id = ?8))"
			    "  OR (object_type = 'task' AND object_id IN"
			    "   (SELECT CAST(t.id AS TEXT) FROM tasks t JOIN cases c ON c.id = t.case_id"
			    "    WHERE c.meeting_id = ?8))"
			    "  OR CASE WHEN json_valid(detail) THEN json_extract(detail, '$.meeting_id')"
			    "   END = ?8)"
			    " AND (?9 IS NULL OR seq < ?9)"
			    " ORDER BY seq DESC LIMIT ?10",
	/* -- end admin -- */

	/* search (domain/search.c) */
	/* The index row of document ?1, replaced: delete, then insert from the view. */
	[SQL_SEARCH_INDEX_DELETE] = "DELETE FROM document_search WHERE rowid = ?1",
	[SQL_SEARCH_INDEX_INSERT] = "INSERT INTO document_search (rowid, title, type, filename, meeting,"
				    " facts, body) SELECT id, title, type, filename, meeting, facts, body"
				    " FROM document_search_source WHERE id = ?1",
	/* The index rows of every document of meeting ?1 (its title, number, place or chair changed) */
	[SQL_SEARCH_INDEX_MEETING_DELETE] = "DELETE FROM document_search WHERE rowid IN"
					    " (SELECT id FROM documents WHERE meeting_id = ?1)",
	[SQL_SEARCH_INDEX_MEETING_INSERT] = "INSERT INTO document_search (rowid, title, type, filename,"
					    " meeting, facts, body) SELECT id, title, type, filename,"
					    " meeting, facts, body FROM document_search_source"
					    " WHERE id IN (SELECT id FROM documents WHERE meeting_id = ?1)",
	/* ?1 document, ?2 version, ?3 page, ?4 text */
	[SQL_SEARCH_TEXT_SET] = "INSERT INTO document_texts (document_id, version, page, text)"
				" VALUES (?1, ?2, ?3, ?4) ON CONFLICT (document_id, version, page)"
				" DO UPDATE SET text = excluded.text",
	/* The first ?11 + ?12 matches, best first, then by id; ?12 skipped: document id, order key
	 * (store/search_fts.h: bm25 with the title weighing most, lower is better). The reader's
	 * access is part of the WHERE clause, as in SQL_DOCUMENT_LIST and SQL_DOCUMENT_LIST_PIC, so
	 * nothing else is ranked, shown or counted (SQL_SEARCH_ALL): ?2 the read ceiling (bureau)
	 * or the clearance (a PIC); ?3 NULL for the bureau, the PIC's user id otherwise (published
	 * or verified documents granted to them). ?1 the FTS5 query (built by search_build_match,
	 * never the user's text); filters, NULL for any: ?4 meeting, ?5 stage, ?6 type,
	 * ?7 classification, ?8 and ?9 the meeting date from and to (inclusive); ?10 is ?11 + ?12.
	 * sidang_rank 'cut' drops a match that can no longer be among the first ?10 of those
	 * already ranked, before the lookups of the access rule (CROSS JOIN: SQLite keeps the index
	 * and its docsize row as the outer loops); 'score' ranks the rows that passed every term.
	 * The weights (title, type, filename, meeting, facts, body) are migration 4's rank setting. */
	[SQL_SEARCH_QUERY] = "SELECT d.id, sidang_rank(document_search, 'score', z.sz, ?10,"
			     "  10.0, 2.0, 3.0, 2.0, 1.0, 1.0) AS score"
			     " FROM document_search"
			     " LEFT JOIN document_search_docsize z ON z.id = document_search.rowid"
			     " CROSS JOIN documents d ON d.id = document_search.rowid"
			     " JOIN meetings m ON m.id = d.meeting_id"
			     " WHERE document_search MATCH ?1"
			     " AND sidang_rank(document_search, 'cut', z.sz, ?10,"
			     "  10.0, 2.0, 3.0, 2.0, 1.0, 1.0)"
			     " AND d.classification <= ?2 AND m.classification <= ?2"
			     " AND (?3 IS NULL OR (d.state IN ('published', 'verified')"
			     "  AND EXISTS (SELECT 1 FROM document_grants g"
			     "   WHERE g.document_id = d.id AND g.user_id = ?3)))"
			     " AND (?4 IS NULL OR d.meeting_id = ?4) AND (?5 IS NULL OR d.stage = ?5)"
			     " AND (?6 IS NULL OR d.type = ?6) AND (?7 IS NULL OR d.classification = ?7)"
			     " AND (?8 IS NULL OR m.date >= ?8) AND (?9 IS NULL OR m.date <= ?9)"
			     " ORDER BY score, d.id LIMIT ?11 OFFSET ?12",
	/* meeting id, title, number, date, snippet (hits between char(1) and char(2)) of document ?2,
	 * one of SQL_SEARCH_QUERY's rows for FTS5 query ?1 */
	[SQL_SEARCH_HIT] = "SELECT m.id, m.title, m.number, m.date,"
			   " snippet(document_search, -1, char(1), char(2), '…', 24)"
			   " FROM document_search JOIN documents d ON d.id = document_search.rowid"
			   " JOIN meetings m ON m.id = d.meeting_id"
			   " WHERE document_search MATCH ?1 AND document_search.rowid = ?2",
	/* The matches SQL_SEARCH_QUERY ranks (?1 to ?9) in index order, at most ?10 of them:
	 * document id, order key (as SQL_SEARCH_QUERY's). Read first: when they are fewer than ?10,
	 * they are every match, counted and ranked in one pass. The docsize row is read for the
	 * rows that passed the access rule only. */
	[SQL_SEARCH_ALL] = "SELECT d.id, sidang_rank(document_search, 'score', z.sz, 0,"
			   "  10.0, 2.0, 3.0, 2.0, 1.0, 1.0)"
			   " FROM document_search JOIN documents d ON d.id = document_search.rowid"
			   " JOIN meetings m ON m.id = d.meeting_id"
			   " LEFT JOIN document_search_docsize z ON z.id = document_search.rowid"
			   " WHERE document_search MATCH ?1"
			   " AND d.classification <= ?2 AND m.classification <= ?2"
			   " AND (?3 IS NULL OR (d.state IN ('published', 'verified')"
			   "  AND EXISTS (SELECT 1 FROM document_grants g"
			   "   WHERE g.document_id = d.id AND g.user_id = ?3)))"
			   " AND (?4 IS NULL OR d.meeting_id = ?4) AND (?5 IS NULL OR d.stage = ?5)"
			   " AND (?6 IS NULL OR d.type = ?6) AND (?7 IS NULL OR d.classification = ?7)"
			   " AND (?8 IS NULL OR m.date >= ?8) AND (?9 IS NULL OR m.date <= ?9)"
			   " LIMIT ?10",
	/* -- end search -- */

	/* jobs (jobs/queue.c) */
	/* ?1 kind, ?2 document, ?3 version, ?4 params (JSON or NULL), ?5 max_attempts, ?6 now. A job
	 * that exists already for (kind, document, version) is left as it is. */
	[SQL_JOB_ENQUEUE] = "INSERT INTO jobs (kind, document_id, version, params, state, attempts,"
			    " max_attempts, run_after, progress, created_at)"
			    " VALUES (?1, ?2, ?3, ?4, 'queued', 0, ?5, ?6, 0, ?6)"
			    " ON CONFLICT (kind, document_id, version) DO NOTHING",
	/* id */
	[SQL_JOB_FIND] = "SELECT id FROM jobs WHERE kind = ?1 AND document_id = ?2 AND version = ?3",
	/* a running job whose lease ran out (its worker died) after its last attempt: ?1 now,
	 * ?2 error */
	[SQL_JOB_EXPIRE_EXHAUSTED] = "UPDATE jobs SET state = 'failed', error = ?2, finished_at = ?1,"
				     " lease_owner = NULL, lease_until = NULL"
				     " WHERE state = 'running' AND lease_until < ?1"
				     " AND attempts >= max_attempts",
	/* id of the next job to run at ?1: the longest due queued job, or a running one whose lease
	 * expired. Both halves use their partial index. */
	[SQL_JOB_PICK] = "SELECT id, run_after FROM (SELECT id, run_after FROM jobs"
			 "  WHERE state = 'queued' AND run_after <= ?1 ORDER BY run_after, id LIMIT 1)"
			 " UNION ALL SELECT id, run_after FROM (SELECT id, lease_until AS run_after FROM jobs"
			 "  WHERE state = 'running' AND lease_until < ?1 ORDER BY lease_until, id LIMIT 1)"
			 " ORDER BY 2, 1 LIMIT 1",
	/* ?1 id, ?2 owner, ?3 lease_until, ?4 now; the WHERE repeats the pick's condition so a
	 * backend without a write lock (PostgreSQL) cannot take a job twice */
	[SQL_JOB_TAKE] = "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = ?2,"
			 " lease_until = ?3, started_at = ?4, progress = 0, finished_at = NULL"
			 " WHERE id = ?1 AND ((state = 'queued' AND run_after <= ?4)"
			 "  OR (state = 'running' AND lease_until < ?4))",
	/* id, kind, document_id, version, params, state, attempts, max_attempts, run_after,
	 * lease_owner, lease_until, progress, error, created_at, started_at, finished_at, result */
	[SQL_JOB_GET] = "SELECT id, kind, document_id, version, params, state, attempts, max_attempts,"
			" run_after, lease_owner, lease_until, progress, error, created_at, started_at,"
			" finished_at, result FROM jobs WHERE id = ?1",
	/* ?1 id, ?2 owner, ?3 lease_until, ?4 progress or NULL; changes() is 0 when the lease is lost */
	[SQL_JOB_HEARTBEAT] = "UPDATE jobs SET lease_until = ?3, progress = coalesce(?4, progress)"
			      " WHERE id = ?1 AND lease_owner = ?2 AND state = 'running'",
	/* ?1 id, ?2 owner, ?3 result, ?4 now */
	[SQL_JOB_COMPLETE] = "UPDATE jobs SET state = 'done', progress = 100, result = ?3, error = NULL,"
			     " finished_at = ?4, lease_owner = NULL, lease_until = NULL"
			     " WHERE id = ?1 AND lease_owner = ?2 AND state = 'running'",
	/* ?1 id, ?2 owner, ?3 error, ?4 run_after (NULL: no retry), ?5 now */
	[SQL_JOB_FAIL] = "UPDATE jobs SET state = CASE WHEN ?4 IS NOT NULL AND attempts < max_attempts"
			 "  THEN 'queued' ELSE 'failed' END,"
			 " run_after = coalesce(?4, run_after), error = ?3,"
			 " finished_at = CASE WHEN ?4 IS NOT NULL AND attempts < max_attempts"
			 "  THEN NULL ELSE ?5 END,"
			 " lease_owner = NULL, lease_until = NULL"
			 " WHERE id = ?1 AND lease_owner = ?2 AND state = 'running'",
	/* a worker stopping gives its job back, uncounted: ?1 id, ?2 owner, ?3 now */
	[SQL_JOB_RELEASE] = "UPDATE jobs SET state = 'queued', attempts = max(attempts - 1, 0),"
			    " run_after = ?3, lease_owner = NULL, lease_until = NULL"
			    " WHERE id = ?1 AND lease_owner = ?2 AND state = 'running'",
	/* as SQL_JOB_GET; ?1 document, ?2 limit; oldest first */
	[SQL_JOB_LIST_DOCUMENT] = "SELECT id, kind, document_id, version, params, state, attempts,"
				  " max_attempts, run_after, lease_owner, lease_until, progress, error,"
				  " created_at, started_at, finished_at, result FROM jobs"
				  " WHERE document_id = ?1 ORDER BY id LIMIT ?2",
	/* sha256, size, mime of version ?2 of document ?1 */
	[SQL_JOB_VERSION_BLOB] = "SELECT sha256, size, mime FROM document_versions"
				 " WHERE document_id = ?1 AND version = ?2",
	/* result of the finished job of kind ?1 for version ?3 of document ?2 */
	[SQL_JOB_RESULT_OF] = "SELECT result FROM jobs WHERE kind = ?1 AND document_id = ?2"
			      " AND version = ?3 AND state = 'done'",
	/* jobs of kind ?1 running now, other than job ?2 */
	[SQL_JOB_RUNNING_OTHERS] = "SELECT count(*) FROM jobs WHERE kind = ?1 AND state = 'running'"
				   " AND id <> ?2",
	/* -- end jobs -- */
	/* derived files (jobs/derived.c) */
	/* ?1 document, ?2 version, ?3 kind, ?4 sha256, ?5 size, ?6 mime, ?7 now */
	[SQL_DERIVED_PUT] = "INSERT INTO derived_files (document_id, version, kind, sha256, size, mime,"
			    " created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
			    " ON CONFLICT (document_id, version, kind) DO UPDATE SET"
			    " sha256 = excluded.sha256, size = excluded.size, mime = excluded.mime,"
			    " created_at = excluded.created_at",
	/* sha256, size, mime, created_at of kind ?3 of version ?2 of document ?1 */
	[SQL_DERIVED_GET] = "SELECT sha256, size, mime, created_at FROM derived_files"
			    " WHERE document_id = ?1 AND version = ?2 AND kind = ?3",
	/* kind, size, mime, created_at of version ?2 of document ?1 */
	[SQL_DERIVED_LIST] = "SELECT kind, size, mime, created_at FROM derived_files"
			     " WHERE document_id = ?1 AND version = ?2 ORDER BY kind",
	/* -- end derived -- */
	/* intake (domain/intake.c) */
	/* ?1 sha256, ?2 size, ?3 mime, ?4 filename, ?5 source, ?6 taken_at, ?7 taken_by,
	 * ?8 duplicate_document_id, ?9 duplicate_item_id */
	[SQL_INTAKE_INSERT] = "INSERT INTO intake_items (sha256, size, mime, filename, source, taken_at,"
			      " taken_by, duplicate_document_id, duplicate_item_id)"
			      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	/* id of an item taken from the same file before: ?1 sha256, ?2 size, ?3 filename */
	[SQL_INTAKE_FIND_TAKEN] = "SELECT id FROM intake_items WHERE sha256 = ?1 AND size = ?2"
				  " AND filename = ?3 ORDER BY id LIMIT 1",
	/* document_id: the first document holding a version with bytes ?1 */
	[SQL_INTAKE_DUP_DOCUMENT] = "SELECT document_id FROM document_versions WHERE sha256 = ?1"
				    " ORDER BY document_id LIMIT 1",
	/* id: the first waiting item with bytes ?1 */
	[SQL_INTAKE_DUP_ITEM] = "SELECT id FROM intake_items WHERE sha256 = ?1 AND state = 'waiting'"
				" ORDER BY id LIMIT 1",
	/* id, sha256, size, mime, filename, source, taken_at, taken_by, state, document_id,
	 * discard_reason, decided_by (username), decided_at, duplicate_document_id,
	 * duplicate_item_id */
	[SQL_INTAKE_GET] = "SELECT i.id, i.sha256, i.size, i.mime, i.filename, i.source, i.taken_at,"
			   " i.taken_by, i.state, i.document_id, i.discard_reason, u.username,"
			   " i.decided_at, i.duplicate_document_id, i.duplicate_item_id"
			   " FROM intake_items i LEFT JOIN users u ON u.id = i.decided_by WHERE i.id = ?1",
	/* as SQL_INTAKE_GET; ?1 limit, ?2 offset; oldest first */
	[SQL_INTAKE_LIST_WAITING] = "SELECT i.id, i.sha256, i.size, i.mime, i.filename, i.source,"
				    " i.taken_at, i.taken_by, i.state, i.document_id, i.discard_reason,"
				    " NULL, i.decided_at, i.duplicate_document_id, i.duplicate_item_id"
				    " FROM intake_items i WHERE i.state = 'waiting'"
				    " ORDER BY i.id LIMIT ?1 OFFSET ?2",
	[SQL_INTAKE_COUNT_WAITING] = "SELECT count(*) FROM intake_items WHERE state = 'waiting'",
	/* ?1 id, ?2 document_id, ?3 user, ?4 now; changes() is 0 unless it was waiting */
	[SQL_INTAKE_SET_FILED] = "UPDATE intake_items SET state = 'filed', document_id = ?2,"
				 " decided_by = ?3, decided_at = ?4 WHERE id = ?1 AND state = 'waiting'",
	/* ?1 id, ?2 reason, ?3 user, ?4 now; changes() is 0 unless it was waiting */
	[SQL_INTAKE_SET_DISCARDED] = "UPDATE intake_items SET state = 'discarded', discard_reason = ?2,"
				     " decided_by = ?3, decided_at = ?4"
				     " WHERE id = ?1 AND state = 'waiting'",
	/* -- end intake -- */
};

const char *sql_text(enum sql_id id)
{
	if ((int)id < 0 || id >= SQL__COUNT)
		return NULL;
	return texts[id];
}
