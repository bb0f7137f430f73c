/* deploy_sanctions.c: the official sanctions lists a zone.yaml declares (sanctions_imports), put into the zone by
 * `mez deploy` (deploy.h). The shipped packs declare the UN Security Council Consolidated List but cannot hold it
 * (it is imported, never copied into the project), so deploy imports it into its own copy of the packs: the list
 * (--sanctions-un FILE, with the import's checks: an empty or foreign list, half the list gone) becomes
 * packs/regpacks/un-consolidated.yaml, zone.yaml lists it among its regpacks, and stack.lock is written again for
 * the copy. The source was verified against its own lock first, and the copy is verified again afterwards; what
 * deploy changes is this one regpack and the two files that name it.
 *
 * A re-deploy without --sanctions-un keeps the list an earlier deploy imported (it is the zone's, as its key is):
 * re-deploying to add a corridor must not silently drop the zone's screening list. A new --sanctions-un replaces
 * it, refused when it would lose half its entries (--sanctions-allow-shrink). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <apr_strings.h>
#include "mez/json.h"
#include "mez/zone.h"
#include "deploy.h"
#include "mez_cli.h"
#include "un_import.h"

int dep_un_plan(apr_pool_t *p, const mez_zone_t *src, const char *packs_path, dep_un_t *u, mez_problem_t *pb)
{
    const apr_array_header_t *missing = mez_zone_missing_sanctions_imports(p, src);
    const char *existing = apr_pstrcat(p, packs_path, "/" DEPLOY_UN_LIST, NULL);
    mez_un_import_t *im;
    mez_status_t rv;

    u->source_zone = src->path;
    u->declared = missing->nelts ? APR_ARRAY_IDX(missing, 0, const char *) : NULL;
    if (!u->declared) {
        if (u->xml)
            u->summary = "--sanctions-un not used: zone.yaml declares no UN list its packs lack";
        return 0;
    }
    /* Only un-consolidated-xml is a format zone.yaml may declare (zone_validate.c): the UN list is what is lacking. */
    if (dep_exists(p, apr_pstrcat(p, src->dir, "/" DEPLOY_UN_LIST, NULL)))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "deploy.sanctions_path_taken", NULL,
                           "the packs of %s already have a %s that zone.yaml does not list: deploy imports the UN "
                           "list there; rename that file", src->zone_id, DEPLOY_UN_LIST);
    if (!dep_is_dir(p, packs_path) || !dep_exists(p, existing))
        existing = NULL;
    if (!u->xml) {
        u->carry = existing;
        return 0;
    }
    im = apr_pcalloc(p, sizeof(*im));
    im->xml = u->xml;
    im->opts.jurisdiction_id = src->jurisdiction_id;
    im->yaml = 1;
    im->replaces = existing;
    im->allow_shrink = u->allow_shrink;
    im->shrink_flag = "--sanctions-allow-shrink";
    if ((rv = mez_un_import_prepare(p, im, pb)) != MEZ_OK)
        return rv;
    u->import = im;
    return 0;
}

/* zone.yaml's model with the imported list among its regpacks, as YAML (comments are the source's to keep). */
static int rewrite_zone_file(apr_pool_t *p, const dep_un_t *u, const mez_zone_t *zone, const char **err)
{
    json_t *model = mez_json_pool_own(p, json_deep_copy(zone->model)), *packs, *regs, *v;
    char *buf = NULL;
    size_t n = 0, i;
    FILE *f;
    int rc, listed = 0;
    if (!json_is_object(packs = json_object_get(model, "packs"))) {
        *err = apr_psprintf(p, "%s has no packs mapping", zone->path);
        return -1;
    }
    if (!json_is_array(regs = json_object_get(packs, "regpacks"))) {
        json_object_set_new(packs, "regpacks", json_array());
        regs = json_object_get(packs, "regpacks");
    }
    json_array_foreach(regs, i, v)
        listed |= json_is_string(v) && !strcmp(json_string_value(v), DEPLOY_UN_LIST);
    if (!listed)
        json_array_append_new(regs, json_string(DEPLOY_UN_LIST));
    if (!(f = open_memstream(&buf, &n))) {
        *err = "cannot buffer zone.yaml";
        return -1;
    }
    fprintf(f, "# Written by `mez deploy` from %s: the same zone, with the UN Security\n"
               "# Council Consolidated List it imported (%s) among its regpacks and stack.lock\n"
               "# written again for it. Change the source and deploy again rather than edit this copy.\n",
            u->source_zone, DEPLOY_UN_LIST);
    rc = mez_cli_yaml_emit(f, model);
    if (fclose(f) != 0 || rc != 0) {
        free(buf);
        *err = apr_psprintf(p, "%s cannot be written as YAML", zone->path);
        return -1;
    }
    rc = dep_write(p, zone->path, buf, n, 0644, err);
    free(buf);
    return rc;
}

int dep_un_apply(apr_pool_t *p, dep_un_t *u, const char *dir, const mez_zone_options_t *opts, const char **err)
{
    const char *path = apr_pstrcat(p, dir, "/" DEPLOY_UN_LIST, NULL), *regdir = apr_pstrcat(p, dir, "/regpacks", NULL);
    const mez_un_import_t *im = u->import;
    mez_zone_options_t o = *opts;
    mez_problem_t pb = { 0 };
    mez_zone_t *zone;
    apr_size_t len;
    const char *text;

    if (!im && !u->carry)
        return 0;
    o.problems = NULL;
    if (!dep_is_dir(p, regdir) && mkdir(regdir, 0755) != 0) {
        *err = apr_psprintf(p, "cannot create %s", regdir);
        return -1;
    }
    if (im && mez_un_import_write(p, im, path, &pb) != MEZ_OK) {
        *err = apr_psprintf(p, "%s: %s", pb.code, pb.detail);
        return -1;
    }
    if (!im && (!(text = dep_read(p, u->carry, &len)) || dep_write(p, path, text, len, 0644, err))) {
        *err = apr_psprintf(p, "cannot keep the UN list %s", u->carry);
        return -1;
    }
    if (mez_zone_load(p, apr_pstrcat(p, dir, "/zone.yaml", NULL), &o, &zone, &pb) != MEZ_OK) {
        *err = apr_psprintf(p, "%s: %s", pb.code, pb.detail);
        return -1;
    }
    if (rewrite_zone_file(p, u, zone, err) != 0)
        return -1;
    if (mez_zone_load(p, zone->path, &o, &zone, &pb) != MEZ_OK || mez_zone_lock_write(p, zone, NULL, NULL, &pb)
                                                                      != MEZ_OK) {
        *err = apr_psprintf(p, "with the UN list: %s: %s", pb.code, pb.detail);
        return -1;
    }
    /* The list must be what zone.yaml declared: a file that loads as a regpack but holds another list is not. */
    if (mez_zone_missing_sanctions_imports(p, zone)->nelts) {
        *err = apr_psprintf(p, "%s does not hold the UN Security Council Consolidated List", path);
        return -1;
    }
    if (im)
        u->summary = apr_psprintf(p, "UN list of %s imported from %s: %ld entries%s", im->rep.list_date, im->xml,
                                  im->entries, im->replaced_entries >= 0
                                      ? apr_psprintf(p, ", %ld before", im->replaced_entries) : "");
    else
        u->summary = apr_psprintf(p, "the UN list imported earlier kept (%s)", DEPLOY_UN_LIST);
    return 0;
}
