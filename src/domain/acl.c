#include "domain/acl.h"

int acl_read_ceiling(const struct user *u)
{
	if (!u || u->disabled || !user_is_bureau(u))
		return -1;
	return (int)u->clearance;
}

enum acl_verdict acl_meeting(const struct user *u, enum acl_action act, enum classification meeting)
{
	(void)act; /* every bureau member who may read a dossier works on it */
	if (acl_read_ceiling(u) < (int)meeting)
		return ACL_HIDDEN;
	return ACL_ALLOW;
}

enum acl_verdict acl_document(const struct user *u, enum acl_action act, enum classification doc,
			      enum classification meeting)
{
	if (acl_meeting(u, ACL_READ, meeting) != ACL_ALLOW)
		return ACL_HIDDEN;
	if (acl_read_ceiling(u) < (int)doc)
		return ACL_HIDDEN;
	(void)act;
	return ACL_ALLOW;
}

enum acl_verdict acl_meeting_create(const struct user *u)
{
	return acl_read_ceiling(u) >= 0 ? ACL_ALLOW : ACL_FORBIDDEN;
}

static bool pic_query(struct db_conn *c, enum sql_id id, const struct user *u, int64_t object)
{
	if (!u || u->disabled)
		return false;
	struct db_stmt *s;
	if (db_prepare(c, id, &s) != ST_OK)
		return false;
	bool row = false;
	if (id == SQL_MEETING_VISIBLE_PIC) {
		db_bind_int(s, 1, object);
		db_bind_int(s, 2, u->clearance);
		db_bind_int(s, 3, u->id);
	} else {
		db_bind_int(s, 1, object);
		db_bind_int(s, 2, u->id);
		db_bind_int(s, 3, u->clearance);
	}
	db_step(s, &row);
	db_done(s);
	return row;
}

bool acl_pic_sees_meeting(struct db_conn *c, const struct user *u, int64_t meeting_id)
{
	return pic_query(c, SQL_MEETING_VISIBLE_PIC, u, meeting_id);
}

bool acl_pic_sees_document(struct db_conn *c, const struct user *u, int64_t document_id)
{
	return pic_query(c, SQL_GRANT_VISIBLE, u, document_id);
}
