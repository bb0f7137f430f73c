/* base58.c: base58btc (Bitcoin alphabet) encoding and decoding for multibase 'z' values.
 * Inputs are short (keys, signatures): schoolbook base conversion, on wide limbs where it is hot (encoding). */
#include <stdint.h>
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

/* 58^5: the largest power of 58 below 2^30, so a limb times 2^32 plus a carry still fits in 64 bits. */
#define LIMB_BASE 656356768u
#define LIMB_DIGITS 5

char *mez_base58_encode(apr_pool_t *p, const unsigned char *data, size_t len)
{
    size_t zeros = 0, cap, used = 0, i, k, ndigits;
    uint32_t small[32], *limbs;
    char *out, *w;

    /* Leading zero bytes carry no numeric value, so base58btc writes each one as a '1'. */
    while (zeros < len && data[zeros] == 0)
        zeros++;
    /* Schoolbook conversion, but on limbs of five base-58 digits fed four input bytes at a time: a
     * signature is encoded on every credential issued, and this is ~20x fewer steps than digit by byte.
     * log(256)/log(58^5) < 0.28 limbs per byte. */
    cap = (len - zeros) * 28 / 100 + 2;
    limbs = cap <= 32 ? small : apr_palloc(p, cap * sizeof(uint32_t));
    for (i = zeros; i < len;) {
        /* The first chunk takes the odd bytes so every later chunk is exactly four. */
        size_t take = i == zeros && (len - zeros) % 4 ? (len - zeros) % 4 : 4;
        uint64_t carry = 0, scale = (uint64_t)1 << (8 * take);
        for (k = 0; k < take; k++)
            carry = carry << 8 | data[i + k];
        i += take;
        for (k = 0; k < used; k++) {
            uint64_t t = (uint64_t)limbs[k] * scale + carry;
            limbs[k] = (uint32_t)(t % LIMB_BASE);
            carry = t / LIMB_BASE;
        }
        while (carry) {
            limbs[used++] = (uint32_t)(carry % LIMB_BASE);
            carry /= LIMB_BASE;
        }
    }
    /* Digits of the top limb without its leading zeros, then five per remaining limb. */
    ndigits = 0;
    if (used) {
        uint32_t top = limbs[used - 1];
        while (top) {
            ndigits++;
            top /= 58;
        }
        ndigits += (used - 1) * LIMB_DIGITS;
    }
    out = apr_palloc(p, zeros + ndigits + 1);
    memset(out, '1', zeros);
    w = out + zeros + ndigits;
    *w = '\0';
    for (k = 0; k < used; k++) {
        uint32_t v = limbs[k];
        int last = k + 1 == used;
        for (int d = 0; d < LIMB_DIGITS && (!last || v); d++) {
            *--w = alphabet[v % 58];
            v /= 58;
        }
    }
    return out;
}

unsigned char *mez_base58_decode(apr_pool_t *p, const char *s, size_t max_len, size_t *outlen)
{
    size_t n = strlen(s), ones = 0, cap, used = 0, i, k;
    unsigned char *buf;

    /* No encoding of max_len bytes is longer: refused before the quadratic work below. */
    if (n > MEZ_BASE58_MAX_CHARS(max_len))
        return NULL;
    while (ones < n && s[ones] == '1')
        ones++;
    if (ones > max_len)
        return NULL;
    /* log(58)/log(256) < 0.733: enough bytes for the remaining digits, and never more than the caller takes. */
    cap = (n - ones) * 733 / 1000 + 1;
    if (cap > max_len - ones)
        cap = max_len - ones;
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
        /* A carry left over means the value needs more than max_len bytes. */
        if (carry)
            return NULL;
        used = k;
    }
    if (outlen)
        *outlen = ones + used;
    return buf + cap - used;
}
