/* httpsig_authority.c: the names a receiving zone answers to, as RFC 9421's @authority carries them.
 *
 * A peer signs the authority of the URL it sends to (mez_httpsig_sign_request: the URL's host and port). A zone
 * that trusts the same peer as another zone would otherwise accept a request captured on its way to that other
 * zone: the signature verifies against the Host the request arrives with, whatever zone that Host names. Naming
 * the zone's own authorities (MezPublicAuthority) lets the verifier refuse it. RFC 9421 §2.2.3 normalises the
 * authority to lower case; RFC 9110 §4.2 makes a port equal to the scheme's default the same as none, so
 * "zone.example" and "zone.example:443" are one name over https. */
#include <string.h>
#include <apr_lib.h>
#include "mez/httpsig.h"

/* A DNS name or IPv4 address: letters, digits, '-', '.', '_' (some estates' internal names have one); not
 * empty, no empty label. */
static int reg_name_valid(const char *s, size_t n)
{
    if (n == 0 || n > 253 || s[0] == '.' || s[n - 1] == '.')
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.' && s[i + 1] == '.')
            return 0;
        if (!apr_isalnum(s[i]) && s[i] != '-' && s[i] != '.' && s[i] != '_')
            return 0;
    }
    return 1;
}

/* "[" hex digits, ':' and '.' (an embedded IPv4) "]". */
static int ipv6_valid(const char *s, size_t n)
{
    if (n < 4 || s[0] != '[' || s[n - 1] != ']')
        return 0;
    for (size_t i = 1; i + 1 < n; i++)
        if (!apr_isxdigit(s[i]) && s[i] != ':' && s[i] != '.')
            return 0;
    return 1;
}

/* Splits s into its host and port (NULL when there is none). */
static void split(const char *s, size_t *host_len, const char **port)
{
    const char *colon = strrchr(s, ':'), *bracket = strrchr(s, ']');
    if (colon && (!bracket || colon > bracket)) {
        *host_len = (size_t)(colon - s);
        *port = colon + 1;
    }
    else {
        *host_len = strlen(s);
        *port = NULL;
    }
}

int mez_httpsig_authority_valid(const char *s)
{
    size_t host_len;
    const char *port;
    if (!s || !*s)
        return 0;
    split(s, &host_len, &port);
    if (port) {
        long v = 0;
        size_t n = strlen(port);
        if (n == 0 || n > 5)
            return 0;
        for (size_t i = 0; i < n; i++) {
            if (!apr_isdigit(port[i]))
                return 0;
            v = v * 10 + (port[i] - '0');
        }
        if (v < 1 || v > 65535)
            return 0;
    }
    return s[0] == '[' ? ipv6_valid(s, host_len) : reg_name_valid(s, host_len);
}

/* The port s names for scheme: its own, else the scheme's default ("" when the scheme has none). Leading zeros
 * are kept as written: "zone:0443" is not "zone:443" to a Host header comparison, and no client sends it. */
static const char *port_of(const char *scheme, const char *port)
{
    if (port && *port)
        return port;
    if (scheme && !strcmp(scheme, "https"))
        return "443";
    if (scheme && !strcmp(scheme, "http"))
        return "80";
    return "";
}

int mez_httpsig_authority_same(const char *scheme, const char *a, const char *b)
{
    size_t alen, blen;
    const char *aport, *bport;
    if (!a || !b)
        return 0;
    split(a, &alen, &aport);
    split(b, &blen, &bport);
    if (alen != blen)
        return 0;
    for (size_t i = 0; i < alen; i++)
        if (apr_tolower(a[i]) != apr_tolower(b[i]))
            return 0;
    return !strcmp(port_of(scheme, aport), port_of(scheme, bport));
}
