/* base58.c: base58btc (Bitcoin alphabet) encoding and decoding for multibase 'z' values.
 * Inputs are short (keys, signatures), so plain schoolbook base conversion is fast enough and easy to check. */
#include <string.h>
#include "mez/base58.h"

static const char alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

static int digit_value(unsigned char c)
{
    const char *hit;
    if (c == '\0')
        return -1;
    hit = strchr(alphabet, c);
    return hit ? (int)(hit - alphabet) : -1;
}

char *mez_base58_encode(apr_pool_t *p, const unsigned char *data, size_t len)
{
    size_t zeros = 0, cap, used = 0, i, k;
    unsigned char *digits;
    char *out;

    /* Leading zero bytes carry no numeric value, so base58btc writes each one as a '1'. */
    while (zeros < len && data[zeros] == 0)
        zeros++;
    /* log(256)/log(58) < 1.38: enough base-58 digits for the remaining bytes. */
    cap = (len - zeros) * 138 / 100 + 1;
    digits = apr_pcalloc(p, cap);
    for (i = zeros; i < len; i++) {
        unsigned carry = data[i];
        for (k = 0; (k < used || carry) && k < cap; k++) {
            carry += 256u * digits[cap - 1 - k];
            digits[cap - 1 - k] = (unsigned char)(carry % 58);
            carry /= 58;
        }
        used = k;
    }
    out = apr_palloc(p, zeros + used + 1);
    memset(out, '1', zeros);
    for (k = 0; k < used; k++)
        out[zeros + k] = alphabet[digits[cap - used + k]];
    out[zeros + used] = '\0';
    return out;
}

unsigned char *mez_base58_decode(apr_pool_t *p, const char *s, size_t *outlen)
{
    size_t n = strlen(s), ones = 0, cap, used = 0, i, k;
    unsigned char *buf;

    while (ones < n && s[ones] == '1')
        ones++;
    /* log(58)/log(256) < 0.733: enough bytes for the remaining digits. */
    cap = (n - ones) * 733 / 1000 + 1;
    /* The value is built at the tail of buf; the zeroed head supplies the leading zero bytes, so the
     * result is one contiguous slice and no second copy of possibly secret bytes is ever made. */
    buf = apr_pcalloc(p, ones + cap);
    for (i = ones; i < n; i++) {
        int d = digit_value((unsigned char)s[i]);
        unsigned carry;
        if (d < 0)
            return NULL;
        carry = (unsigned)d;
        for (k = 0; (k < used || carry) && k < cap; k++) {
            carry += 58u * buf[ones + cap - 1 - k];
            buf[ones + cap - 1 - k] = (unsigned char)(carry & 0xff);
            carry >>= 8;
        }
        used = k;
    }
    if (outlen)
        *outlen = ones + used;
    return buf + cap - used;
}
