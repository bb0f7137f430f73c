/* test_file.c: CUnit suite for mez/file.h: mez_file_create_durable (the content lands whole with the mode asked
 * for, an existing file or a symbolic link at the path is refused and left as it was) and mez_file_open_regular
 * (a named pipe or a device where a file belongs is refused at once, by every reader built on it). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include <apr_strings.h>
#include "mez/file.h"
#include "mez/json.h"
#include "mez/key.h"
#include "mez/mass.h"
#include "mez/pack.h"
#include "mez/sanctions.h"
#include "mez/yaml.h"
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

static void test_open_regular(void)
{
    apr_pool_t *p = unit_pool();
    const char *dir = unit_tmpdir();
    const char *fifo = apr_pstrcat(p, dir, "/pipe.yaml", NULL), *file = apr_pstrcat(p, dir, "/plain.yaml", NULL);
    struct stat st;
    mez_problem_t pb = { 0 };
    mez_yaml_doc_t *doc;
    mez_pack_t *pack;
    mez_key_t *key;
    json_t *json;
    char *buf;
    size_t len;
    const char *token;
    int fd;

    unlink(fifo);
    unlink(file);
    CU_ASSERT_EQUAL_FATAL(mkfifo(fifo, 0600), 0);
    CU_ASSERT_EQUAL_FATAL(mez_file_create_durable(file, "a: 1\n", 5, 0600), 0);
    /* Opening a FIFO with no writer used to wait forever: should that come back, the alarm ends the run (a
     * failure) instead of hanging it. */
    alarm(60);

    fd = mez_file_open_regular(fifo, &st);
    CU_ASSERT_EQUAL(fd, -1);
    CU_ASSERT_EQUAL(errno, 0);
    CU_ASSERT_STRING_EQUAL(mez_file_kind(&st), "a named pipe (FIFO)");
    CU_ASSERT_EQUAL(mez_file_open_regular(dir, &st), -1);
    CU_ASSERT_EQUAL(errno, 0);
    CU_ASSERT_STRING_EQUAL(mez_file_kind(&st), "a directory");
    CU_ASSERT_EQUAL(mez_file_open_regular("/dev/null", &st), -1);
    CU_ASSERT_EQUAL(errno, 0);
    CU_ASSERT_STRING_EQUAL(mez_file_kind(&st), "a character device");
    CU_ASSERT_EQUAL(mez_file_open_regular(apr_pstrcat(p, dir, "/missing", NULL), &st), -1);
    CU_ASSERT_EQUAL(errno, ENOENT);
    fd = mez_file_open_regular(file, &st);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL(st.st_size, 5);
    CU_ASSERT_EQUAL(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);      /* blocking again for the reader */
    CU_ASSERT_NOT_EQUAL(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
    close(fd);

    /* Every reader of packs, acts, zone files, locks, keys, tokens, JSON files and UN lists goes through it. */
    CU_ASSERT_EQUAL(mez_yaml_read_file(p, fifo, 1024, &buf, &len, &pb), MEZ_EIO);
    CU_ASSERT_STRING_EQUAL(pb.code, "io.read");
    CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "is a named pipe (FIFO), not a regular file"));
    CU_ASSERT_EQUAL(mez_yaml_read_file(p, "/dev/zero", 1024, &buf, &len, &pb), MEZ_EIO);
    CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "is a character device"));
    CU_ASSERT_EQUAL(mez_yaml_read_file(p, file, 1024, &buf, &len, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(buf, "a: 1\n");
    CU_ASSERT_EQUAL(mez_yaml_read_file(p, file, 4, &buf, &len, &pb), MEZ_EIO);
    CU_ASSERT_STRING_EQUAL(pb.code, "io.too_large");
    CU_ASSERT_EQUAL(mez_yaml_parse_file(p, fifo, &doc, &pb), MEZ_EIO);
    CU_ASSERT_STRING_EQUAL(pb.code, "io.read");
    {
        mez_pack_options_t opts = { NULL, NULL, 0 };
        CU_ASSERT_EQUAL(mez_pack_load(p, fifo, &opts, &pack, &pb), MEZ_EIO);
        CU_ASSERT_STRING_EQUAL(pb.code, "io.read");
    }
    CU_ASSERT_EQUAL(mez_json_parse_file(p, fifo, &json, &pb), MEZ_EIO);
    CU_ASSERT_STRING_EQUAL(pb.code, "io.read");
    CU_ASSERT_EQUAL(mez_key_load_private(p, fifo, &key, &pb), MEZ_EIO);
    CU_ASSERT_STRING_EQUAL(pb.code, "key.unreadable");
    CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "a named pipe (FIFO)"));
    CU_ASSERT_EQUAL(mez_mass_token_load(p, fifo, &token, &pb), MEZ_EIO);
    CU_ASSERT_STRING_EQUAL(pb.code, "mass.token_unreadable");
    {
        mez_sanctions_un_options_t opts = { 0 };
        opts.jurisdiction_id = "pk";
        CU_ASSERT_EQUAL(mez_sanctions_import_un(p, fifo, &opts, &json, NULL, &pb), MEZ_EIO);
        CU_ASSERT_STRING_EQUAL(pb.code, "io.read");
    }
    alarm(0);
    unlink(fifo);
    unlink(file);
}

void unit_register_file(void)
{
    CU_pSuite s = unit_suite("file");
    CU_add_test(s, "create_durable", test_create_durable);
    CU_add_test(s, "create_durable in the directory's group", test_create_durable_dir_group);
    CU_add_test(s, "a named pipe or a device where a file belongs is refused at once", test_open_regular);
}
