/* un_import.c: the UN list import's checks and its atomic write, for `mez sanctions import-un` and `mez deploy
 * --sanctions-un` (un_import.h). The YAML file carries a comment saying where the list came from (reviewers read
 * packs; programs read keys). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include "mez/json.h"
#include "mez/pack.h"
#include "un_import.h"
#include "mez_cli.h"

/* The pack as YAML text, with a comment saying where it came from (reviewers read packs; programs read keys). */
static mez_status_t render_yaml(apr_pool_t *p, const json_t *model, const mez_sanctions_report_t *rep,
                                const char *xml_path, const char **text, size_t *len, mez_problem_t *pb)
{
    char *buf = NULL;
    size_t n = 0;
    const char *base = strrchr(xml_path, '/');
    FILE *f = open_memstream(&buf, &n);
    int rc;
    if (!f)
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "cli.out_of_memory", NULL, "cannot buffer the YAML output");
    fprintf(f, "# UN Security Council Consolidated List of %s (dateGenerated %s),\n"
               "# imported by `mez sanctions import-un` from %s for %s.\n"
               "# Generated data: import the list again rather than edit this file.\n",
            rep->list_date, rep->date_generated, base ? base + 1 : xml_path,
            json_string_value(json_object_get(model, "jurisdiction_id")));
    rc = mez_cli_yaml_emit(f, model);
    if (fclose(f) != 0 || rc != 0) {
        free(buf);
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "cli.yaml_emit", NULL,
                           "the pack model holds a value YAML output cannot carry exactly");
    }
    *text = apr_pstrmemdup(p, buf, n);
    *len = n;
    free(buf);
    return MEZ_OK;
}

/* Writes bytes beside out and returns the temporary's path, readable by all (httpd reads packs). */
static mez_status_t write_temp(apr_pool_t *p, const char *out, const char *bytes, size_t len, const char **tmp,
                               mez_problem_t *pb)
{
    apr_file_t *f;
    apr_status_t st;
    char *tmpl = apr_pstrcat(p, out, ".XXXXXX", NULL), e[256];
    if ((st = apr_file_mktemp(&f, tmpl, APR_FOPEN_CREATE | APR_FOPEN_READ | APR_FOPEN_WRITE | APR_FOPEN_EXCL, p))
        != APR_SUCCESS)
        return mez_problem(pb, p, MEZ_EIO, 500, "io.write", NULL, "cannot create a file beside %s: %s", out,
                           apr_strerror(st, e, sizeof(e)));
    /* Synced before the rename that puts it in place: after a crash the list is the old one or the new one,
     * never an empty file. */
    if ((st = apr_file_write_full(f, bytes, len, NULL)) != APR_SUCCESS || (st = apr_file_sync(f)) != APR_SUCCESS
        || (st = apr_file_close(f)) != APR_SUCCESS
        || (st = apr_file_perms_set(tmpl, APR_FPROT_UREAD | APR_FPROT_UWRITE | APR_FPROT_GREAD | APR_FPROT_WREAD))
               != APR_SUCCESS) {
        apr_file_remove(tmpl, p);
        return mez_problem(pb, p, MEZ_EIO, 500, "io.write", NULL, "cannot write %s: %s", tmpl,
                           apr_strerror(st, e, sizeof(e)));
    }
    *tmp = tmpl;
    return MEZ_OK;
}

/* A list file as a zone reads it: a pack file (yaml) loaded as a pack, or the pack's JSON model; its model and its
 * pack digest. */
static mez_status_t load_list_file(apr_pool_t *p, const char *path, int yaml, json_t **model, mez_digest_t *digest,
                                   mez_problem_t *pb)
{
    mez_status_t rv;
    if (yaml) {
        mez_pack_t *pack;
        mez_pack_options_t opts = { 0 };
        if ((rv = mez_pack_load(p, path, &opts, &pack, pb)) != MEZ_OK)
            return rv;
        *model = pack->model;
        *digest = pack->digest;
        return MEZ_OK;
    }
    if ((rv = mez_json_parse_file(p, path, model, pb)) != MEZ_OK)
        return rv;
    return mez_pack_model_digest(p, MEZ_PACK_REG, *model, digest, pb);
}

/* Reads the written file back as a zone would and checks it is the model imported (same pack digest). */
static mez_status_t read_back(apr_pool_t *p, const char *tmp, int yaml, const mez_digest_t *want, mez_problem_t *pb)
{
    mez_digest_t got;
    json_t *m;
    mez_status_t rv;
    if ((rv = load_list_file(p, tmp, yaml, &m, &got, pb)) != MEZ_OK)
        return rv;
    if (!mez_digest_equal(&got, want))
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "cli.read_back", NULL,
                           "%s does not read back as the pack imported (digest %s, not %s)", tmp,
                           mez_digest_format(p, &got), mez_digest_format(p, want));
    return MEZ_OK;
}

/* The entries of the UN list in the pack file a new import would replace (yaml or json as written), or -1 when
 * there is none or it holds no such list. */
static long entries_replaced(apr_pool_t *p, const char *out, int yaml)
{
    json_t *m, *l;
    mez_digest_t d;
    size_t i;
    mez_problem_t pb = { 0 };
    apr_finfo_t fi;
    if (apr_stat(&fi, out, APR_FINFO_TYPE, p) != APR_SUCCESS || fi.filetype != APR_REG
        || load_list_file(p, out, yaml, &m, &d, &pb) != MEZ_OK)
        return -1;
    json_array_foreach(json_object_get(m, "lists"), i, l) {
        const char *id = json_string_value(json_object_get(l, "id"));
        if (id && !strcmp(id, MEZ_SANCTIONS_UN_LIST_ID))
            return (long)json_array_size(json_object_get(l, "entries"));
    }
    return -1;
}


mez_status_t mez_un_import_prepare(apr_pool_t *p, mez_un_import_t *im, mez_problem_t *pb)
{
    mez_status_t rv;
    if ((rv = mez_sanctions_import_un(p, im->xml, &im->opts, &im->model, &im->rep, pb)) != MEZ_OK)
        return rv;
    im->entries = (long)json_array_size(json_object_get(json_array_get(json_object_get(im->model, "lists"), 0),
                                                        "entries"));
    /* The UN list changes by a few names at a time; one that lost half of them is far likelier a truncated or
     * mangled download than the Council's decision, and screening against it would let the lost names through. */
    im->replaced_entries = im->replaces ? entries_replaced(p, im->replaces, im->yaml) : -1;
    if (im->replaced_entries > 0 && im->entries * 2 < im->replaced_entries && !im->allow_shrink)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "sanctions.list_shrank", NULL,
                           "%s names %ld entries, the list in %s %ld: more than half would be gone, which a "
                           "truncated feed does and the Security Council does not; check the download, or pass %s "
                           "to replace it anyway (%s unchanged)", im->xml, im->entries, im->replaces,
                           im->replaced_entries, im->shrink_flag ? im->shrink_flag : "--allow-shrink",
                           im->replaces);
    if ((rv = mez_pack_model_digest(p, MEZ_PACK_REG, im->model, &im->digest, pb)) != MEZ_OK)
        return rv;
    if (im->yaml)
        return render_yaml(p, im->model, &im->rep, im->xml, &im->text, &im->len, pb);
    im->text = apr_pstrcat(p, mez_json_dump(p, im->model, 1), "\n", NULL);
    im->len = strlen(im->text);
    return MEZ_OK;
}

mez_status_t mez_un_import_write(apr_pool_t *p, const mez_un_import_t *im, const char *out, mez_problem_t *pb)
{
    const char *tmp = NULL;
    mez_status_t rv;
    apr_status_t st;
    char e[256];
    /* The new list replaces the old one only whole and only once it loads: a zone never reads half a list. */
    if ((rv = write_temp(p, out, im->text, im->len, &tmp, pb)) != MEZ_OK)
        return rv;
    if ((rv = read_back(p, tmp, im->yaml, &im->digest, pb)) != MEZ_OK) {
        apr_file_remove(tmp, p);
        return rv == MEZ_EINVAL ? MEZ_EINTERNAL : rv;
    }
    if ((st = apr_file_rename(tmp, out, p)) != APR_SUCCESS) {
        apr_file_remove(tmp, p);
        return mez_problem(pb, p, MEZ_EIO, 500, "io.write", NULL, "cannot replace %s: %s", out,
                           apr_strerror(st, e, sizeof(e)));
    }
    return MEZ_OK;
}
