/* unit_main.c: runs every libmezcore CUnit suite and prints CUnit's summary.
 * Exit status is non-zero when any assertion failed, so `make check` fails. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_general.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include <CUnit/Basic.h>
#include "mez/audit.h"
#include "unit.h"

static apr_pool_t *root_pool;
static apr_pool_t *test_pool;

apr_pool_t *unit_pool(void)
{
    return test_pool;
}

const mez_audit_event_t *unit_audit(const char *action)
{
    mez_audit_event_t *ev = apr_pcalloc(test_pool, sizeof(*ev));
    ev->zone_id = "unit-zone";
    ev->actor = "unit-test";
    ev->action = action;
    ev->outcome = "committed";
    return ev;
}

static int suite_setup(void)
{
    return 0;
}

static void test_setup(void)
{
    apr_pool_create(&test_pool, root_pool);
}

static void test_teardown(void)
{
    apr_pool_destroy(test_pool);
    test_pool = NULL;
}

CU_pSuite unit_suite(const char *name)
{
    return CU_add_suite_with_setup_and_teardown(name, suite_setup, NULL, test_setup, test_teardown);
}

const char *unit_shared(const char *rel)
{
    const char *base = getenv("MEZ_SHARED");
    if (!base || !*base)
        base = "../shared";
    return apr_pstrcat(test_pool, base, "/", rel, NULL);
}

char *unit_read_file(const char *path, size_t *len)
{
    apr_file_t *f;
    apr_finfo_t fi;
    if (apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY, 0, test_pool) != APR_SUCCESS)
        return NULL;
    if (apr_file_info_get(&fi, APR_FINFO_SIZE, f) != APR_SUCCESS)
        return NULL;
    char *buf = apr_palloc(test_pool, (apr_size_t)fi.size + 1);
    apr_size_t n = (apr_size_t)fi.size;
    if (n > 0 && apr_file_read_full(f, buf, n, &n) != APR_SUCCESS)
        return NULL;
    buf[n] = '\0';
    apr_file_close(f);
    if (len)
        *len = n;
    return buf;
}

/* Removes a test directory and everything in it when the test's pool goes. */
static apr_status_t remove_tree(void *data)
{
    const char *path = data;
    apr_pool_t *p;
    apr_dir_t *d;
    apr_finfo_t fi;
    apr_pool_create(&p, NULL);
    if (apr_dir_open(&d, path, p) == APR_SUCCESS) {
        while (apr_dir_read(&fi, APR_FINFO_NAME | APR_FINFO_TYPE, d) == APR_SUCCESS) {
            const char *child;
            if (!strcmp(fi.name, ".") || !strcmp(fi.name, ".."))
                continue;
            child = apr_pstrcat(p, path, "/", fi.name, NULL);
            if (fi.filetype == APR_DIR)
                remove_tree((void *)child);
            else
                apr_file_remove(child, p);
        }
        apr_dir_close(d);
    }
    apr_dir_remove(path, p);
    apr_pool_destroy(p);
    return APR_SUCCESS;
}

const char *unit_tmpdir(void)
{
    const char *tmp;
    char *tmpl;
    apr_temp_dir_get(&tmp, test_pool);
    tmpl = apr_pstrcat(test_pool, tmp, "/mez-unit-XXXXXX", NULL);
    if (!mkdtemp(tmpl))
        return NULL;
    apr_pool_cleanup_register(test_pool, tmpl, remove_tree, apr_pool_cleanup_null);
    return tmpl;
}

int main(int argc, char **argv)
{
    unsigned failures;
    apr_app_initialize(&argc, (const char *const **)&argv, NULL);
    apr_pool_create(&root_pool, NULL);

    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    unit_register_json();
    unit_register_mmr();
    unit_register_receipt();
    unit_register_checkpoint();
    unit_register_corridor_store();
    unit_register_corridor_proto();
    unit_register_key_rotation();
    unit_register_file();
    unit_register_corridor_export();
    unit_register_watcher();
    unit_register_migration();
    unit_register_migration_saga();
    unit_register_transfer();
    unit_register_corridor_exchange();
    unit_register_register_summary();
    unit_register_licence_terms();
    unit_register_tax();
    unit_register_tz();
    unit_register_deadline();
    unit_register_digest();
    unit_register_key();
    unit_register_httpsig();
    unit_register_did();
    unit_register_vc();
    unit_register_store();
    unit_register_pack();
    unit_register_cas();
    unit_register_tensor();
    unit_register_manifold();
    unit_register_zone();
    unit_register_sanctions();
    unit_register_token();
    unit_register_clientcert();
    unit_register_mass_fiscal();
    unit_register_mass_ownership();
    unit_register_lifecycle();
    unit_register_mass_entities();
    unit_register_http();
    unit_register_audit();
    unit_register_idempotency();
    unit_register_consent();
    unit_register_provision();
    unit_register_metrics_table();

    CU_basic_set_mode(argc > 1 && !strcmp(argv[1], "-v") ? CU_BRM_VERBOSE : CU_BRM_NORMAL);
    CU_basic_run_tests();
    failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    if (CU_get_error() != CUE_SUCCESS)
        failures++;
    CU_cleanup_registry();
    apr_pool_destroy(root_pool);
    apr_terminate();
    return failures ? 1 : 0;
}
