/* cmd_keygen.c: `mez keygen`, creating an Ed25519 private key file (mode 0600) and printing its did:key.
 * The optional public PEM lets operators hand the key to tools that do not speak did:key. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include "mez/did.h"
#include "mez/key.h"
#include "mez_cli.h"

static void usage(FILE *out)
{
    fprintf(out,
        "usage: mez keygen --out KEY.pem [--public PUB.pem]\n"
        "Creates a new Ed25519 private key as PEM (PKCS#8) in KEY.pem with mode 0600 and prints its\n"
        "did:key on standard output. An existing file is never overwritten.\n"
        "  --out KEY.pem      the private key file to create\n"
        "  --public PUB.pem   also write the public key (SubjectPublicKeyInfo PEM), mode 0644\n");
}

/* The library keeps the EVP_PKEY private, so the public PEM is rebuilt from the raw public bytes. */
static int write_public(const mez_key_t *key, const char *path)
{
    unsigned char pub[MEZ_ED25519_PUBLIC_LEN];
    EVP_PKEY *pkey;
    FILE *f;
    int fd, ok;

    mez_key_public_bytes(key, pub);
    if (!(pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, sizeof(pub)))) {
        fprintf(stderr, "mez: key.internal: cannot rebuild the public key\n");
        return MEZ_EXIT_USAGE;
    }
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 || !(f = fdopen(fd, "w"))) {
        fprintf(stderr, "mez: %s: cannot create %s: %s\n", errno == EEXIST ? "key.exists" : "key.unwritable",
                path, strerror(errno));
        if (fd >= 0)
            close(fd);
        EVP_PKEY_free(pkey);
        return MEZ_EXIT_USAGE;
    }
    ok = PEM_write_PUBKEY(f, pkey) == 1;
    ok = (fclose(f) == 0) && ok;
    EVP_PKEY_free(pkey);
    ERR_clear_error();
    if (!ok) {
        fprintf(stderr, "mez: key.unwritable: cannot write %s\n", path);
        unlink(path);
        return MEZ_EXIT_USAGE;
    }
    return MEZ_EXIT_OK;
}

int mez_cmd_keygen(apr_pool_t *p, int argc, const char *const *argv)
{
    const char *out = NULL, *pub = NULL;
    mez_key_t *key;
    mez_problem_t pb = { 0 };
    mez_status_t rv;
    int rc;

    if (mez_cli_wants_help(argc, argv)) {
        usage(stdout);
        return MEZ_EXIT_OK;
    }
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--out") && i + 1 < argc && !out)
            out = argv[++i];
        else if (!strcmp(argv[i], "--public") && i + 1 < argc && !pub)
            pub = argv[++i];
        else {
            fprintf(stderr, "mez keygen: unexpected argument '%s'\n", argv[i]);
            usage(stderr);
            return MEZ_EXIT_USAGE;
        }
    }
    if (!out) {
        usage(stderr);
        return MEZ_EXIT_USAGE;
    }
    /* Check the public path first so a refused --public does not leave a private key behind. */
    if (pub && access(pub, F_OK) == 0) {
        fprintf(stderr, "mez: key.exists: %s already exists; refusing to overwrite it\n", pub);
        return MEZ_EXIT_USAGE;
    }
    if ((rv = mez_key_generate(p, &key, &pb)) != MEZ_OK)
        return mez_cli_fail(&pb, rv);
    if ((rv = mez_key_save_private(p, key, out, &pb)) != MEZ_OK)
        return mez_cli_fail(&pb, rv);
    if (pub && (rc = write_public(key, pub)) != MEZ_EXIT_OK)
        return rc;
    printf("%s\n", mez_did_key(p, key));
    return MEZ_EXIT_OK;
}
