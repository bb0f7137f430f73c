/* json_number.c: ECMAScript Number::toString for finite doubles, the number form RFC 8785 requires.
 * The shortest digit string that reads back to the same double is found by trying precisions 1..17;
 * printf rounds correctly, so the first that round-trips is also the closest, as ECMAScript demands. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mez/json.h"

/* Shortest round-trip significant digits of d > 0: fills digits (no dot, no trailing zeros),
 * returns their count and sets *n so that d = 0.digits x 10^n. */
static int shortest_digits(double d, char *digits, int *n)
{
    char buf[40];
    int prec, k = 0, exp10;
    for (prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof(buf), "%.*e", prec - 1, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    /* buf is "D.DDDDe[+-]XX" or "De[+-]XX" */
    char *e = strchr(buf, 'e');
    for (char *c = buf; c < e; c++)
        if (*c != '.')
            digits[k++] = *c;
    while (k > 1 && digits[k - 1] == '0')
        k--;
    digits[k] = '\0';
    exp10 = atoi(e + 1);
    *n = exp10 + 1;
    return k;
}

size_t mez_json_format_number(double d, char *buf)
{
    char digits[24];
    char *w = buf;
    int k, n;

    if (d == 0) {             /* both +0 and -0 print as "0" */
        strcpy(buf, "0");
        return 1;
    }
    if (d < 0) {
        *w++ = '-';
        d = -d;
    }
    k = shortest_digits(d, digits, &n);
    if (k <= n && n <= 21) {
        memcpy(w, digits, (size_t)k);
        w += k;
        for (int i = 0; i < n - k; i++)
            *w++ = '0';
    }
    else if (0 < n && n <= 21) {
        memcpy(w, digits, (size_t)n);
        w += n;
        *w++ = '.';
        memcpy(w, digits + n, (size_t)(k - n));
        w += k - n;
    }
    else if (-6 < n && n <= 0) {
        *w++ = '0';
        *w++ = '.';
        for (int i = 0; i < -n; i++)
            *w++ = '0';
        memcpy(w, digits, (size_t)k);
        w += k;
    }
    else {
        *w++ = digits[0];
        if (k > 1) {
            *w++ = '.';
            memcpy(w, digits + 1, (size_t)(k - 1));
            w += k - 1;
        }
        w += sprintf(w, "e%c%d", n - 1 >= 0 ? '+' : '-', abs(n - 1));
    }
    *w = '\0';
    return (size_t)(w - buf);
}
