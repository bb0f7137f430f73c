/* test_file.c: CUnit suite for mez_file_create_durable (mez/file.h): the content lands whole with the mode asked
 * for, an existing file or a symbolic link at the path is refused and left as it was. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include <apr_strings.h>
#include "mez/file.h"
#include "unit.h"

static const char *slurp(const char *path)
{
    static char buf[256];
    FILE *f = fopen(path, "r");
    size_t n;
    if (!f)
        return NULL;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static void test_create_durable(void)
{
    apr_pool_t *p = unit_pool();
    const char *dir = unit_tmpdir();
    const char *path = apr_pstrcat(p, dir, "/status.json", NULL), *link_path = apr_pstrcat(p, dir, "/trap", NULL);
    const char *victim = apr_pstrcat(p, dir, "/victim", NULL);
    struct stat st;

    unlink(path);
    CU_ASSERT_EQUAL(mez_file_create_durable(path, "{\"a\":1}\n", 8, 0644), 0);
    CU_ASSERT_STRING_EQUAL(slurp(path), "{\"a\":1}\n");
    CU_ASSERT_EQUAL(stat(path, &st), 0);
    CU_ASSERT_EQUAL(st.st_mode & 0777, 0644);
    /* never over an existing file */
    CU_ASSERT_EQUAL(mez_file_create_durable(path, "other", 5, 0644), -1);
    CU_ASSERT_EQUAL(errno, EEXIST);
    CU_ASSERT_STRING_EQUAL(slurp(path), "{\"a\":1}\n");
    /* never through a symbolic link left in a shared directory */
    unlink(victim);
    unlink(link_path);
    CU_ASSERT_EQUAL(mez_file_create_durable(victim, "mine", 4, 0600), 0);
    CU_ASSERT_EQUAL(symlink(victim, link_path), 0);
    CU_ASSERT_EQUAL(mez_file_create_durable(link_path, "theirs", 6, 0644), -1);
    CU_ASSERT_STRING_EQUAL(slurp(victim), "mine");
    unlink(path);
    unlink(victim);
    unlink(link_path);
}

/* A status file in a spool: 0640 whatever the umask, in the spool's group (root gives it; others keep theirs). */
static void test_create_durable_dir_group(void)
{
    apr_pool_t *p = unit_pool();
    const char *dir = apr_pstrcat(p, unit_tmpdir(), "/spool-group", NULL);
    const char *path = apr_pstrcat(p, dir, "/z.status.json", NULL);
    struct stat st, dst;
    gid_t gid = 0;
    mkdir(dir, 0750);
    unlink(path);
    if (geteuid() == 0)
        CU_ASSERT_EQUAL(chown(dir, (uid_t)-1, 1), 0);    /* another group than root's own */
    CU_ASSERT_EQUAL_FATAL(stat(dir, &dst), 0);
    CU_ASSERT_EQUAL(mez_file_dir_group(path, &gid), 0);
    CU_ASSERT_EQUAL(gid, dst.st_gid);
    CU_ASSERT_EQUAL(mez_file_create_durable_dir_group(path, "{}", 2, 0640), 0);
    CU_ASSERT_EQUAL_FATAL(stat(path, &st), 0);
    CU_ASSERT_EQUAL(st.st_mode & 0777, 0640);
    CU_ASSERT_EQUAL(st.st_gid, dst.st_gid);
    CU_ASSERT_STRING_EQUAL(slurp(path), "{}");
    CU_ASSERT_EQUAL(mez_file_create_durable_dir_group(path, "[]", 2, 0640), -1);   /* still never over a file */
    CU_ASSERT_EQUAL(mez_file_dir_group(apr_pstrcat(p, dir, "/missing/x", NULL), &gid), -1);
    unlink(path);
    rmdir(dir);
}

void unit_register_file(void)
{
    CU_pSuite s = unit_suite("file");
    CU_add_test(s, "create_durable", test_create_durable);
    CU_add_test(s, "create_durable in the directory's group", test_create_durable_dir_group);
}
