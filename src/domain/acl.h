/*
 * The one access function. Every read path (list, view, download, and later search, thumbnail,
 * export) asks it; a refusal to read looks exactly like a missing object (ACL_HIDDEN → 404), so
 * nobody learns what exists that they may not see.
 *
 * Meetings and documents are visible to holders of the bureau's SOP roles whose clearance is at
 * least the object's classification. Anyone else (a PIC) sees a document only once a publish step
 * of the SOP made it published and granted it to them, within their clearance (for the document
 * and its meeting); and sees the meetings that hold such a document.
 */
#ifndef SIDANG_DOMAIN_ACL_H
#define SIDANG_DOMAIN_ACL_H

#include "domain/users.h"
#include "store/db.h"

enum acl_verdict {
	ACL_ALLOW,
	ACL_HIDDEN,    /* answer as if it did not exist (404) */
	ACL_FORBIDDEN, /* visible, but this action is not allowed (403) */
};

enum acl_action {
	ACL_READ,
	ACL_WRITE, /* edit, upload into, add versions */
};

enum acl_verdict acl_meeting(const struct user *u, enum acl_action act, enum classification meeting);
enum acl_verdict acl_document(const struct user *u, enum acl_action act, enum classification doc,
			      enum classification meeting);
/* Creating a meeting is for the bureau's SOP roles. */
enum acl_verdict acl_meeting_create(const struct user *u);
/* PICs (users outside the bureau) read the published documents granted to them, within their
 * clearance, and see the meetings holding such documents. These ask the database. */
bool acl_pic_sees_meeting(struct db_conn *c, const struct user *u, int64_t meeting_id);
bool acl_pic_sees_document(struct db_conn *c, const struct user *u, int64_t document_id);
/* The highest classification U may read, or -1 when U may read no meeting at all (lists use it
 * in their WHERE clause, so counts never include what U may not see). */
int acl_read_ceiling(const struct user *u);

#endif
