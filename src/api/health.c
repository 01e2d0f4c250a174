/* GET /api/health and GET /api/meta. */
#include "api/api.h"

void api_health(struct req *r)
{
	http_reply_json(r, 200, json_pack("{s:s, s:s}", "status", "ok", "version", SIDANG_VERSION));
}

/* Typical document types per stage (shared/seed/README.md); which are required is configuration
 * that the SOP engine adds. */
static const char *const types_perencanaan[] = {"undangan", "kak_tor", "agenda", "nota_dinas",
						"bahan_rapat", NULL};
static const char *const types_pelaksanaan[] = {"daftar_hadir", "bahan_paparan", "notulensi",
						"dokumentasi", NULL};
static const char *const types_pelaporan[] = {"risalah", "laporan_hasil_rapat", "rekomendasi",
					      "tindak_lanjut", NULL};

static json_t *stage_json(const char *code, const char *const *types)
{
	json_t *t = json_array();
	for (int i = 0; types[i]; i++)
		json_array_append_new(t, json_string(types[i]));
	return json_pack("{s:s, s:o}", "code", code, "document_types", t);
}

void api_meta(struct req *r)
{
	json_t *roles = json_array();
	struct db_conn *c = db_acquire(r->app->db);
	struct db_stmt *s;
	if (db_prepare(c, SQL_ROLE_LIST, &s) == ST_OK) {
		bool row;
		while (db_step(s, &row) == ST_OK && row)
			json_array_append_new(roles, json_pack("{s:s, s:s, s:s, s:s}", "code",
							       db_col_text(s, 0), "name_id",
							       db_col_text(s, 1), "name_en",
							       db_col_text(s, 2), "kind",
							       db_col_text(s, 3)));
		db_done(s);
	}
	db_release(r->app->db, c);
	json_t *stages = json_pack("[o, o, o]", stage_json("perencanaan", types_perencanaan),
				   stage_json("pelaksanaan", types_pelaksanaan),
				   stage_json("pelaporan", types_pelaporan));
	http_reply_json(r, 200,
			json_pack("{s:o, s:[s, s, s, s], s:[s, s], s:o, s:{s:I}}", "stages", stages,
				  "classifications", "biasa", "terbatas", "rahasia", "sangat_rahasia",
				  "sources", "scan", "born_digital", "roles", roles, "limits",
				  "upload_bytes", (json_int_t)r->app->max_upload));
}
