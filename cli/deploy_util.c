/* deploy_util.c: files, programs, HTTP and the undo journal for `mez deploy` and `mez zone ...`. Every file the
 * deploy writes goes through a temporary file and a rename, so a crash never leaves a half-written file, and
 * every creation is journaled, so a failed deploy can remove what it made. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>
#include <apr_time.h>
#include "mez/file.h"
#include "mez/http.h"
#include "mez/json.h"
#include "mez/store.h"
#include "deploy.h"

int dep_exists(apr_pool_t *p, const char *path)
{
    struct stat st;
    (void)p;
    return lstat(path, &st) == 0;
}

int dep_is_dir(apr_pool_t *p, const char *path)
{
    struct stat st;
    (void)p;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *dep_read(apr_pool_t *p, const char *path, apr_size_t *len)
{
    struct stat st;
    char *buf;
    size_t n, got = 0;
    /* Opened without waiting, read only as a regular file: a named pipe (say, a member of an archive being
     * restored) is refused instead of hanging the command. */
    int fd = mez_file_open_regular(path, &st);
    if (fd < 0)
        return NULL;
    n = (size_t)st.st_size;
    buf = apr_palloc(p, n + 1);
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            close(fd);
            return NULL;
        }
        got += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    if (len)
        *len = (apr_size_t)n;
    return buf;
}

int dep_write(apr_pool_t *p, const char *path, const char *data, apr_size_t len, int mode, const char **err)
{
    const char *tmp = apr_psprintf(p, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    apr_size_t off = 0;
    if (fd < 0) {
        *err = apr_psprintf(p, "cannot create %s: %s", tmp, strerror(errno));
        return -1;
    }
    /* open's mode is filtered by the umask: a key must be exactly 0600 whatever the caller's umask. */
    if (fchmod(fd, (mode_t)mode) != 0)
        goto fail;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            goto fail;
        }
        off += (apr_size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        fd = -1;
        goto fail;
    }
    if (rename(tmp, path) != 0) {
        fd = -1;
        goto fail;
    }
    return 0;
fail:
    *err = apr_psprintf(p, "cannot write %s: %s", path, strerror(errno));
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    return -1;
}

int dep_write_journaled(apr_pool_t *p, apr_array_header_t *undo, const char *path, const char *data,
                        apr_size_t len, int mode, int *changed, const char **err)
{
    apr_size_t oldlen = 0;
    const char *old = dep_read(p, path, &oldlen);
    undo_t *u;
    struct stat st;
    int have_st;
    *changed = 0;
    have_st = old && stat(path, &st) == 0;
    if (old && oldlen == len && !memcmp(old, data, len) && have_st && (int)(st.st_mode & 07777) == mode)
        return 0;
    if (dep_write(p, path, data, len, mode, err))
        return -1;
    *changed = 1;
    if (undo) {
        u = apr_array_push(undo);
        memset(u, 0, sizeof(*u));
        u->kind = old ? UNDO_RESTORE : UNDO_REMOVE;
        u->path = path;
        u->content = old;
        u->len = oldlen;
        /* Without a stat (it vanished between the read and here) the old file is restored 0600 and ours:
         * tighter than it may have been, never looser. */
        u->mode = have_st ? (int)(st.st_mode & 07777) : 0600;
        u->uid = have_st ? st.st_uid : geteuid();
        u->gid = have_st ? st.st_gid : getegid();
    }
    return 0;
}

int dep_mkdir(apr_pool_t *p, apr_array_header_t *undo, const char *path, int mode, const char **err)
{
    undo_t *u;
    if (dep_is_dir(p, path))
        return 0;
    if (mkdir(path, (mode_t)mode) != 0 || chmod(path, (mode_t)mode) != 0) {
        *err = apr_psprintf(p, "cannot create the directory %s: %s", path, strerror(errno));
        return -1;
    }
    if (undo) {
        u = apr_array_push(undo);
        memset(u, 0, sizeof(*u));
        u->kind = UNDO_REMOVE;
        u->path = path;
    }
    return 0;
}

int dep_copy_tree(apr_pool_t *p, const char *from, const char *to, const char **err)
{
    apr_dir_t *d;
    apr_finfo_t fi;
    if (mkdir(to, 0755) != 0 && errno != EEXIST) {
        *err = apr_psprintf(p, "cannot create %s: %s", to, strerror(errno));
        return -1;
    }
    if (apr_dir_open(&d, from, p) != APR_SUCCESS) {
        *err = apr_psprintf(p, "cannot read the directory %s", from);
        return -1;
    }
    while (apr_dir_read(&fi, APR_FINFO_NAME | APR_FINFO_TYPE, d) == APR_SUCCESS) {
        const char *src, *dst, *data, *werr = NULL;
        apr_size_t len;
        if (!strcmp(fi.name, ".") || !strcmp(fi.name, ".."))
            continue;
        src = apr_pstrcat(p, from, "/", fi.name, NULL);
        dst = apr_pstrcat(p, to, "/", fi.name, NULL);
        if (fi.filetype == APR_DIR) {
            if (dep_copy_tree(p, src, dst, err)) {
                apr_dir_close(d);
                return -1;
            }
        }
        else if (fi.filetype == APR_REG) {
            if (!(data = dep_read(p, src, &len)) || dep_write(p, dst, data, len, 0644, &werr)) {
                *err = werr ? werr : apr_psprintf(p, "cannot read %s", src);
                apr_dir_close(d);
                return -1;
            }
        }
        /* Anything else (a link, a socket) is not content a pack may consist of: not copied. */
    }
    apr_dir_close(d);
    return 0;
}

/* Names in a directory, sorted. */
static apr_array_header_t *names(apr_pool_t *p, const char *dir)
{
    apr_array_header_t *a = apr_array_make(p, 16, sizeof(const char *));
    apr_dir_t *d;
    apr_finfo_t fi;
    if (apr_dir_open(&d, dir, p) != APR_SUCCESS)
        return NULL;
    while (apr_dir_read(&fi, APR_FINFO_NAME, d) == APR_SUCCESS)
        if (strcmp(fi.name, ".") && strcmp(fi.name, ".."))
            APR_ARRAY_PUSH(a, const char *) = apr_pstrdup(p, fi.name);
    apr_dir_close(d);
    for (int i = 1; i < a->nelts; i++)
        for (int j = i; j > 0 && strcmp(APR_ARRAY_IDX(a, j - 1, const char *), APR_ARRAY_IDX(a, j, const char *)) > 0;
             j--) {
            const char *t = APR_ARRAY_IDX(a, j, const char *);
            APR_ARRAY_IDX(a, j, const char *) = APR_ARRAY_IDX(a, j - 1, const char *);
            APR_ARRAY_IDX(a, j - 1, const char *) = t;
        }
    return a;
}

int dep_trees_equal(apr_pool_t *p, const char *a, const char *b)
{
    apr_array_header_t *na, *nb;
    if (dep_is_dir(p, a) != dep_is_dir(p, b))
        return 0;
    if (!dep_is_dir(p, a)) {
        apr_size_t la, lb;
        const char *da = dep_read(p, a, &la), *db = dep_read(p, b, &lb);
        return da && db && la == lb && !memcmp(da, db, la);
    }
    na = names(p, a);
    nb = names(p, b);
    if (!na || !nb || na->nelts != nb->nelts)
        return 0;
    for (int i = 0; i < na->nelts; i++) {
        const char *x = APR_ARRAY_IDX(na, i, const char *);
        if (strcmp(x, APR_ARRAY_IDX(nb, i, const char *))
            || !dep_trees_equal(p, apr_pstrcat(p, a, "/", x, NULL), apr_pstrcat(p, b, "/", x, NULL)))
            return 0;
    }
    return 1;
}

int dep_remove_tree(apr_pool_t *p, const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    if (S_ISDIR(st.st_mode)) {
        apr_array_header_t *n = names(p, path);
        for (int i = 0; n && i < n->nelts; i++)
            dep_remove_tree(p, apr_pstrcat(p, path, "/", APR_ARRAY_IDX(n, i, const char *), NULL));
        return rmdir(path);
    }
    return unlink(path);
}

static int chown_entry(int dirfd, const char *name, uid_t uid, gid_t gid);

/* Gives the open directory fd and everything under it away, walking from descriptors only; closes fd. */
static int chown_dir(int fd, uid_t uid, gid_t gid)
{
    DIR *dir;
    struct dirent *e;
    int rc = fchown(fd, uid, gid) == 0 ? 0 : -1;
    if (!(dir = fdopendir(fd))) {
        close(fd);
        return -1;
    }
    while ((errno = 0, e = readdir(dir)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && chown_entry(dirfd(dir), e->d_name, uid, gid))
            rc = -1;
    if (errno)
        rc = -1;
    closedir(dir);
    return rc;
}

/* name in dirfd, and when it is a directory what is under it. The tree is the httpd user's to change while root
 * walks it (it may rename, replace and link there), so no name is resolved twice: a directory is opened without
 * following a link (O_NOFOLLOW) and walked from that descriptor, so one swapped for a link meanwhile is not
 * entered; anything else is given away itself, a symbolic link never followed (AT_SYMLINK_NOFOLLOW). */
static int chown_entry(int dirfd, const char *name, uid_t uid, gid_t gid)
{
    struct stat st;
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0)
        return chown_dir(fd, uid, gid);
    if (errno != ENOTDIR && errno != ELOOP)
        return -1;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return -1;
    /* A file with a second name may be a hard link to one outside the tree (where fs.protected_hardlinks does not
     * forbid linking another user's file): giving it away would give that file. The httpd user's own files have
     * one name each. */
    if (!S_ISLNK(st.st_mode) && !S_ISDIR(st.st_mode) && st.st_nlink > 1)
        return -1;
    return fchownat(dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : -1;
}

int dep_chown(const char *path, uid_t uid, gid_t gid, int recursive)
{
    apr_pool_t *p;
    const char *slash = strrchr(path, '/'), *parent;
    int fd, rc;
    if (geteuid() != 0)
        return 0;   /* only root can give files away; an unprivileged deploy owns everything itself */
    if (!recursive)
        return lchown(path, uid, gid) == 0 ? 0 : -1;
    /* The walk starts from the parent (deploy's own directory, root's): path itself may already be a link. */
    apr_pool_create(&p, NULL);
    parent = !slash ? "." : slash == path ? "/" : apr_pstrndup(p, path, (apr_size_t)(slash - path));
    fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    rc = fd < 0 ? -1 : chown_entry(fd, slash ? slash + 1 : path, uid, gid);
    if (fd >= 0)
        close(fd);
    apr_pool_destroy(p);
    return rc;
}

int dep_user(const char *user, uid_t *uid, gid_t *gid)
{
    struct passwd *pw;
    *uid = geteuid();
    *gid = getegid();
    if (geteuid() != 0)
        return 0;
    if (!(pw = getpwnam(user)))
        return -1;
    *uid = pw->pw_uid;
    *gid = pw->pw_gid;
    return 0;
}

int dep_run(apr_pool_t *p, const char *const *argv, const char **out)
{
    apr_procattr_t *attr;
    apr_proc_t proc;
    apr_file_t *f;
    apr_exit_why_e why;
    int code = -1;
    char tmpl[] = "/tmp/mez-deploy-XXXXXX";
    const char *path;

    if (out)
        *out = "";
    if (apr_file_mktemp(&f, tmpl, APR_FOPEN_CREATE | APR_FOPEN_READ | APR_FOPEN_WRITE | APR_FOPEN_EXCL, p)
        != APR_SUCCESS)
        return -1;
    apr_file_name_get(&path, f);
    path = apr_pstrdup(p, path);
    if (apr_procattr_create(&attr, p) != APR_SUCCESS
        || apr_procattr_child_out_set(attr, f, NULL) != APR_SUCCESS
        || apr_procattr_child_err_set(attr, f, NULL) != APR_SUCCESS
        || apr_procattr_cmdtype_set(attr, APR_PROGRAM_ENV) != APR_SUCCESS
        || apr_proc_create(&proc, argv[0], argv, NULL, attr, p) != APR_SUCCESS) {
        apr_file_close(f);
        unlink(path);
        if (out)
            *out = apr_psprintf(p, "cannot run %s", argv[0]);
        return -1;
    }
    if (apr_proc_wait(&proc, &code, &why, APR_WAIT) != APR_CHILD_DONE || why != APR_PROC_EXIT)
        code = code ? code : -1;
    apr_file_close(f);
    if (out) {
        const char *text = dep_read(p, path, NULL);
        *out = text ? text : "";
    }
    unlink(path);
    return code;
}

int dep_http(apr_pool_t *p, const char *method, const char *url, const char *host, const char *token,
             const char *body, int *status, json_t **json, const char **err)
{
    mez_http_opts_t opts = { 0 };
    mez_problem_t pb = { 0 };
    const char *headers[5], *resp = NULL;
    apr_size_t rlen = 0;
    int n = 0;
    opts.connect_timeout_ms = 2000;
    opts.timeout_ms = 15000;
    if (host)
        headers[n++] = apr_pstrcat(p, "Host: ", host, NULL);
    if (token)
        headers[n++] = apr_pstrcat(p, "Authorization: Bearer ", token, NULL);
    if (body)
        headers[n++] = "Content-Type: application/json";
    headers[n] = NULL;
    if (mez_http_request(p, &opts, method, url, headers, body, body ? strlen(body) : 0, status, &resp, &rlen, &pb)
        != MEZ_OK) {
        *err = pb.detail ? pb.detail : "no answer";
        return -1;
    }
    if (json) {
        json_error_t je;
        *json = resp && rlen ? json_loadb(resp, rlen, 0, &je) : NULL;
        if (*json)
            mez_json_pool_own(p, *json);
    }
    return 0;
}

int dep_wait_ready(apr_pool_t *p, const char *url, const char *host, int timeout_s, json_t **json)
{
    apr_time_t deadline = apr_time_now() + apr_time_from_sec(timeout_s);
    int status = 0;
    do {
        const char *err;
        if (dep_http(p, "GET", url, host, NULL, NULL, &status, json, &err) == 0 && status == 200)
            return status;
        apr_sleep(apr_time_from_msec(100));
    } while (apr_time_now() < deadline);
    return status;
}

int dep_port_free(apr_pool_t *p, const char *host, int port)
{
    struct sockaddr_in sa;
    int fd, ok, one = 1;
    (void)p;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    if (!strcmp(host, "*") || !strcmp(host, "0.0.0.0"))
        sa.sin_addr.s_addr = htonl(INADDR_ANY);
    else if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        return 1;   /* a name or an IPv6 address: httpd's config test and start will say */
    if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
        return 1;
    /* As httpd binds: SO_REUSEADDR, so a port in TIME_WAIT is free but one with a listener is not. */
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    ok = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
    close(fd);
    return ok;
}

const char *dep_listen_url(apr_pool_t *p, const char *listen)
{
    const char *colon = strrchr(listen, ':');
    const char *host = colon ? apr_pstrndup(p, listen, (apr_size_t)(colon - listen)) : "127.0.0.1";
    if (!*host || !strcmp(host, "*") || !strcmp(host, "0.0.0.0"))
        host = "127.0.0.1";
    return apr_psprintf(p, "http://%s:%s", host, colon ? colon + 1 : listen);
}

json_t *dep_record_read(apr_pool_t *p, const char *zone_dir)
{
    const char *text = dep_read(p, apr_pstrcat(p, zone_dir, "/" DEPLOY_RECORD, NULL), NULL);
    json_error_t je;
    json_t *j = text ? json_loads(text, 0, &je) : NULL;
    if (j && !json_is_object(j)) {
        json_decref(j);
        return NULL;
    }
    return j ? mez_json_pool_own(p, j) : NULL;
}

int dep_pg_drop(apr_pool_t *p, const char *admin_params, const char *dbname)
{
    mez_problem_t pb = { 0 };
    mez_db_t *db;
    apr_pool_t *sub;
    int rc = -1;
    apr_pool_create(&sub, p);
    /* WITH (FORCE): a reloading httpd's children may still hold sessions on the database being removed. */
    if (mez_db_open(sub, "pgsql", admin_params, &db, &pb) == MEZ_OK
        && mez_db_exec(sub, db, apr_psprintf(sub, "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", dbname), &pb)
               == MEZ_OK)
        rc = 0;
    else
        fprintf(stderr, "  undo: cannot drop the database %s: %s\n", dbname, pb.detail ? pb.detail : "");
    apr_pool_destroy(sub);
    return rc;
}

int dep_conf_path_ok(const char *path)
{
    for (const unsigned char *c = (const unsigned char *)path; *c; c++)
        if (*c == '"' || *c == '\\' || *c == '$' || *c < 0x20 || *c == 0x7f)
            return 0;
    return 1;
}
