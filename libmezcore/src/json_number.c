/* json_number.c: ECMAScript Number::toString for finite doubles, the number form RFC 8785 requires.
 * The shortest digit string that reads back to the same double, and of those the closest (ECMAScript 2019
 * Number::toString step 5, the digits RFC 8785 section 3.2.2.3 takes), is found by trying precisions 1..17. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mez/json.h"

/* Adds delta (+1 or -1) to the last of the p digits of a decimal d[0].d[1..p-1] x 10^*exp10, keeping p digits:
 * 9.99 + 1 is 1.00 one decade up, 1.00 - 1 is 9.99 one decade down. */
static void step_last_digit(char *d, int p, int *exp10, int delta)
{
    int i = p - 1;
    if (delta > 0) {
        while (i >= 0 && d[i] == '9')
            d[i--] = '0';
        if (i >= 0)
            d[i]++;
        else {
            d[0] = '1';
            ++*exp10;
        }
    }
    else {
        while (i > 0 && d[i] == '0')
            d[i--] = '9';
        d[i]--;                 /* d[0] is never '0', so the borrow stops by i = 0 */
        if (d[0] == '0') {      /* 1.00 - 1 in the last place: p nines one decade down */
            for (i = 0; i < p; i++)
                d[i] = '9';
            --*exp10;
        }
    }
}

/* d's reading of the p-digit decimal digits x 10^exp10 (digits[0] before the point). Written as a whole number
 * and an exponent, "DDDDe-X", without a decimal point: strtod reads the point of the locale (LC_NUMERIC), which a
 * host process (httpd with another module, a program linking libmezcore) may have set to ','. */
static double read_back(const char *digits, int p, int exp10)
{
    char buf[48];
    snprintf(buf, sizeof(buf), "%.*se%d", p, digits, exp10 - (p - 1));
    return strtod(buf, NULL);
}

/* Shortest round-trip significant digits of d > 0: fills digits (no dot, no trailing zeros),
 * returns their count and sets *n so that d = 0.digits x 10^n.
 * At each precision p, printf gives the p-digit decimal nearest d, correctly rounded. When that reads back, it is
 * the closest p-digit candidate. When it does not, the p-digit decimal on d's other side still may: d's rounding
 * interval is not centred on d where d is a power of two (the gap below is half the gap above), so the nearest
 * can fall outside while its neighbour, further away, is inside (2^-24 is 5.960464477539063e-8: the nearest
 * 16-digit ...062e-8 reads back as another double). The two neighbours one unit in the last digit either side
 * cover d's other side; at most one of them can read back when the nearest does not, the interval being one
 * piece around d. */
static int shortest_digits(double d, char *digits, int *n)
{
    char buf[40], cand[24];
    int prec, k = 0, exp10 = 0, found = 0;
    for (prec = 1; prec <= 17; prec++) {
        char *e;
        snprintf(buf, sizeof(buf), "%.*e", prec - 1, d);
        /* buf is "D.DDDDe[+-]XX" or "De[+-]XX", the point being the locale's (one or more bytes): the digits
         * are what is not a point. */
        e = strchr(buf, 'e');
        k = 0;
        for (char *c = buf; c < e; c++)
            if (*c >= '0' && *c <= '9')
                cand[k++] = *c;
        exp10 = atoi(e + 1);
        if (read_back(cand, k, exp10) == d)
            break;
        for (int delta = 1; delta >= -1 && !found; delta -= 2) {
            char nb[24];
            int nexp = exp10;
            memcpy(nb, cand, (size_t)k);
            step_last_digit(nb, k, &nexp, delta);
            if (read_back(nb, k, nexp) == d) {
                memcpy(cand, nb, (size_t)k);
                exp10 = nexp;
                found = 1;
            }
        }
        if (found)
            break;
    }
    /* 17 significant digits always read back (DBL_DECIMAL_DIG), so found is set by then. */
    memcpy(digits, cand, (size_t)k);
    while (k > 1 && digits[k - 1] == '0')
        k--;
    digits[k] = '\0';
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
