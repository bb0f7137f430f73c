/* test_file.c: CUnit suite for mez_file_create_durable (mez/file.h): the content lands whole with the mode asked
 * for, an existing file or a symbolic link at the path is refused and left as it was. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
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

void unit_register_file(void)
{
    CU_pSuite s = unit_suite("file");
    CU_add_test(s, "create_durable", test_create_durable);
}
