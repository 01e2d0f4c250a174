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
