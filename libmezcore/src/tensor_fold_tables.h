/* tensor_fold_tables.h: letters with diacritics and Arabic presentation forms, as screening folds them (only
 * tensor_screen.c includes this). Generated from the Unicode Character Database 14.0.0 (UnicodeData.txt: the canonical
 * decompositions, and the compatibility decompositions NFKC applies to the Arabic presentation forms) with
 * Python's unicodedata; a name written with precomposed letters and the same name decomposed, or an Arabic name
 * typed in isolated/initial/final forms and the same name in ordinary letters, must read alike. */
#ifndef MEZ_TENSOR_FOLD_TABLES_H
#define MEZ_TENSOR_FOLD_TABLES_H
#include <stdint.h>

/* U+0180..U+024F: the base letter of each letter with diacritics, a space where there is none. */
static const char fold_latin_ext_b[0x24F - 0x180 + 1] =
    "                                oo             uu               "
    "             aaiioouuuuuuuuuu aaaa    ggkkoooo  j   gg  nnaa    "
    "aaaaeeeeiiiioooorrrruuuusstt  hh      aaeeooooooooyy            "
    "                ";

/* U+1E00..U+1EFF: the base letter of each letter with diacritics, a space where there is none. */
static const char fold_latin_ext_add[0x1EFF - 0x1E00 + 1] =
    "aabbbbbbccddddddddddeeeeeeeeeeffgghhhhhhhhhhiiiikkkkkkllllllllmm"
    "mmmmnnnnnnnnoooooooopppprrrrrrrrssssssssssttttttttuuuuuuuuuuvvvv"
    "wwwwwwwwwwxxxxyyzzzzzzhtwy      aaaaaaaaaaaaaaaaaaaaaaaaeeeeeeee"
    "eeeeeeeeiiiioooooooooooooooooooooooouuuuuuuuuuuuuuyyyyyyyy      ";

/* U+0370..U+04FF (Greek and Coptic, Cyrillic): the base letter of each letter with diacritics (its canonical decomposition's first
 * code point), 0 where there is none. */
static const uint16_t fold_greek_cyrillic[0x4FF - 0x370 + 1] = {
    0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
    0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x00A8, 0x0391, 0x0000,
    0x0395, 0x0397, 0x0399, 0x0000, 0x039F, 0x0000, 0x03A5, 0x03A9, 0x03B9, 0x0000, 0x0000, 0x0000,
    0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
    0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0399, 0x03A5,
    0x03B1, 0x03B5, 0x03B7, 0x03B9, 0x03C5, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
    0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
    0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x03B9, 0x03C5, 0x03BF, 0x03C5, 0x03C9, 0x0000,
    0x0000, 0x0000, 0x0000, 0x03D2, 0x03D2, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
    0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
    0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
    0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
    0x0415, 0x0415, 0x0000, 0x0413, 0x0000, 0x0000, 0x0000, 0x0406, 0x0000, 0x0000, 0x0000, 0x0000,
    0x041A, 0x0418, 0x0423, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
    0x0000, 0x0418, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
    0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
    0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0438, 0x0000, 0x0000,
    0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
    0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0435, 0x0435, 0x0000, 0x0433,
    0x0000, 0x0000, 0x0000, 0x0456, 0x0000, 0x0000, 0x0000, 0x0000, 0x043A, 0x0438, 0x0443, 0x0000,
    0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
    0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0474, 0x0475,
    0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
    0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
    0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
    0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
    0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
    0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
    0x0000, 0x0416, 0x0436, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
    0x0000, 0x0000, 0x0000, 0x0000, 0x0410, 0x0430, 0x0410, 0x0430, 0x0000, 0x0000, 0x0415, 0x0435,
    0x0000, 0x0000, 0x04D8, 0x04D9, 0x0416, 0x0436, 0x0417, 0x0437, 0x0000, 0x0000, 0x0418, 0x0438,
    0x0418, 0x0438, 0x041E, 0x043E, 0x0000, 0x0000, 0x04E8, 0x04E9, 0x042D, 0x044D, 0x0423, 0x0443,
    0x0423, 0x0443, 0x0423, 0x0443, 0x0427, 0x0447, 0x0000, 0x0000, 0x042B, 0x044B, 0x0000, 0x0000,
    0x0000, 0x0000, 0x0000, 0x0000,
};

/* U+1F00..U+1FFF (Greek Extended): the base letter of each letter with diacritics (its canonical decomposition's first
 * code point), 0 where there is none. */
static const uint16_t fold_greek_ext[0x1FFF - 0x1F00 + 1] = {
    0x03B1, 0x03B1, 0x03B1, 0x03B1, 0x03B1, 0x03B1, 0x03B1, 0x03B1, 0x0391, 0x0391, 0x0391, 0x0391,
    0x0391, 0x0391, 0x0391, 0x0391, 0x03B5, 0x03B5, 0x03B5, 0x03B5, 0x03B5, 0x03B5, 0x0000, 0x0000,
    0x0395, 0x0395, 0x0395, 0x0395, 0x0395, 0x0395, 0x0000, 0x0000, 0x03B7, 0x03B7, 0x03B7, 0x03B7,
    0x03B7, 0x03B7, 0x03B7, 0x03B7, 0x0397, 0x0397, 0x0397, 0x0397, 0x0397, 0x0397, 0x0397, 0x0397,
    0x03B9, 0x03B9, 0x03B9, 0x03B9, 0x03B9, 0x03B9, 0x03B9, 0x03B9, 0x0399, 0x0399, 0x0399, 0x0399,
    0x0399, 0x0399, 0x0399, 0x0399, 0x03BF, 0x03BF, 0x03BF, 0x03BF, 0x03BF, 0x03BF, 0x0000, 0x0000,
    0x039F, 0x039F, 0x039F, 0x039F, 0x039F, 0x039F, 0x0000, 0x0000, 0x03C5, 0x03C5, 0x03C5, 0x03C5,
    0x03C5, 0x03C5, 0x03C5, 0x03C5, 0x0000, 0x03A5, 0x0000, 0x03A5, 0x0000, 0x03A5, 0x0000, 0x03A5,
    0x03C9, 0x03C9, 0x03C9, 0x03C9, 0x03C9, 0x03C9, 0x03C9, 0x03C9, 0x03A9, 0x03A9, 0x03A9, 0x03A9,
    0x03A9, 0x03A9, 0x03A9, 0x03A9, 0x03B1, 0x03B1, 0x03B5, 0x03B5, 0x03B7, 0x03B7, 0x03B9, 0x03B9,
    0x03BF, 0x03BF, 0x03C5, 0x03C5, 0x03C9, 0x03C9, 0x0000, 0x0000, 0x03B1, 0x03B1, 0x03B1, 0x03B1,
    0x03B1, 0x03B1, 0x03B1, 0x03B1, 0x0391, 0x0391, 0x0391, 0x0391, 0x0391, 0x0391, 0x0391, 0x0391,
    0x03B7, 0x03B7, 0x03B7, 0x03B7, 0x03B7, 0x03B7, 0x03B7, 0x03B7, 0x0397, 0x0397, 0x0397, 0x0397,
    0x0397, 0x0397, 0x0397, 0x0397, 0x03C9, 0x03C9, 0x03C9, 0x03C9, 0x03C9, 0x03C9, 0x03C9, 0x03C9,
    0x03A9, 0x03A9, 0x03A9, 0x03A9, 0x03A9, 0x03A9, 0x03A9, 0x03A9, 0x03B1, 0x03B1, 0x03B1, 0x03B1,
    0x03B1, 0x0000, 0x03B1, 0x03B1, 0x0391, 0x0391, 0x0391, 0x0391, 0x0391, 0x0000, 0x0000, 0x0000,
    0x0000, 0x00A8, 0x03B7, 0x03B7, 0x03B7, 0x0000, 0x03B7, 0x03B7, 0x0395, 0x0395, 0x0397, 0x0397,
    0x0397, 0x1FBF, 0x1FBF, 0x1FBF, 0x03B9, 0x03B9, 0x03B9, 0x03B9, 0x0000, 0x0000, 0x03B9, 0x03B9,
    0x0399, 0x0399, 0x0399, 0x0399, 0x0000, 0x1FFE, 0x1FFE, 0x1FFE, 0x03C5, 0x03C5, 0x03C5, 0x03C5,
    0x03C1, 0x03C1, 0x03C5, 0x03C5, 0x03A5, 0x03A5, 0x03A5, 0x03A5, 0x03A1, 0x00A8, 0x00A8, 0x0000,
    0x0000, 0x0000, 0x03C9, 0x03C9, 0x03C9, 0x0000, 0x03C9, 0x03C9, 0x039F, 0x039F, 0x03A9, 0x03A9,
    0x03A9, 0x0000, 0x0000, 0x0000,
};

/* U+FB50..U+FDFF: the letters NFKC reads each Arabic presentation form as (UTF-8), NULL where none. */
static const char *const fold_arabic_pf_a[0xFDFF - 0xFB50 + 1] = {
    "\xd9\xb1",   /* U+FB50 */
    "\xd9\xb1",   /* U+FB51 */
    "\xd9\xbb",   /* U+FB52 */
    "\xd9\xbb",   /* U+FB53 */
    "\xd9\xbb",   /* U+FB54 */
    "\xd9\xbb",   /* U+FB55 */
    "\xd9\xbe",   /* U+FB56 */
    "\xd9\xbe",   /* U+FB57 */
    "\xd9\xbe",   /* U+FB58 */
    "\xd9\xbe",   /* U+FB59 */
    "\xda\x80",   /* U+FB5A */
    "\xda\x80",   /* U+FB5B */
    "\xda\x80",   /* U+FB5C */
    "\xda\x80",   /* U+FB5D */
    "\xd9\xba",   /* U+FB5E */
    "\xd9\xba",   /* U+FB5F */
    "\xd9\xba",   /* U+FB60 */
    "\xd9\xba",   /* U+FB61 */
    "\xd9\xbf",   /* U+FB62 */
    "\xd9\xbf",   /* U+FB63 */
    "\xd9\xbf",   /* U+FB64 */
    "\xd9\xbf",   /* U+FB65 */
    "\xd9\xb9",   /* U+FB66 */
    "\xd9\xb9",   /* U+FB67 */
    "\xd9\xb9",   /* U+FB68 */
    "\xd9\xb9",   /* U+FB69 */
    "\xda\xa4",   /* U+FB6A */
    "\xda\xa4",   /* U+FB6B */
    "\xda\xa4",   /* U+FB6C */
    "\xda\xa4",   /* U+FB6D */
    "\xda\xa6",   /* U+FB6E */
    "\xda\xa6",   /* U+FB6F */
    "\xda\xa6",   /* U+FB70 */
    "\xda\xa6",   /* U+FB71 */
    "\xda\x84",   /* U+FB72 */
    "\xda\x84",   /* U+FB73 */
    "\xda\x84",   /* U+FB74 */
    "\xda\x84",   /* U+FB75 */
    "\xda\x83",   /* U+FB76 */
    "\xda\x83",   /* U+FB77 */
    "\xda\x83",   /* U+FB78 */
    "\xda\x83",   /* U+FB79 */
    "\xda\x86",   /* U+FB7A */
    "\xda\x86",   /* U+FB7B */
    "\xda\x86",   /* U+FB7C */
    "\xda\x86",   /* U+FB7D */
    "\xda\x87",   /* U+FB7E */
    "\xda\x87",   /* U+FB7F */
    "\xda\x87",   /* U+FB80 */
    "\xda\x87",   /* U+FB81 */
    "\xda\x8d",   /* U+FB82 */
    "\xda\x8d",   /* U+FB83 */
    "\xda\x8c",   /* U+FB84 */
    "\xda\x8c",   /* U+FB85 */
    "\xda\x8e",   /* U+FB86 */
    "\xda\x8e",   /* U+FB87 */
    "\xda\x88",   /* U+FB88 */
    "\xda\x88",   /* U+FB89 */
    "\xda\x98",   /* U+FB8A */
    "\xda\x98",   /* U+FB8B */
    "\xda\x91",   /* U+FB8C */
    "\xda\x91",   /* U+FB8D */
    "\xda\xa9",   /* U+FB8E */
    "\xda\xa9",   /* U+FB8F */
    "\xda\xa9",   /* U+FB90 */
    "\xda\xa9",   /* U+FB91 */
    "\xda\xaf",   /* U+FB92 */
    "\xda\xaf",   /* U+FB93 */
    "\xda\xaf",   /* U+FB94 */
    "\xda\xaf",   /* U+FB95 */
    "\xda\xb3",   /* U+FB96 */
    "\xda\xb3",   /* U+FB97 */
    "\xda\xb3",   /* U+FB98 */
    "\xda\xb3",   /* U+FB99 */
    "\xda\xb1",   /* U+FB9A */
    "\xda\xb1",   /* U+FB9B */
    "\xda\xb1",   /* U+FB9C */
    "\xda\xb1",   /* U+FB9D */
    "\xda\xba",   /* U+FB9E */
    "\xda\xba",   /* U+FB9F */
    "\xda\xbb",   /* U+FBA0 */
    "\xda\xbb",   /* U+FBA1 */
    "\xda\xbb",   /* U+FBA2 */
    "\xda\xbb",   /* U+FBA3 */
    "\xdb\x80",   /* U+FBA4 */
    "\xdb\x80",   /* U+FBA5 */
    "\xdb\x81",   /* U+FBA6 */
    "\xdb\x81",   /* U+FBA7 */
    "\xdb\x81",   /* U+FBA8 */
    "\xdb\x81",   /* U+FBA9 */
    "\xda\xbe",   /* U+FBAA */
    "\xda\xbe",   /* U+FBAB */
    "\xda\xbe",   /* U+FBAC */
    "\xda\xbe",   /* U+FBAD */
    "\xdb\x92",   /* U+FBAE */
    "\xdb\x92",   /* U+FBAF */
    "\xdb\x93",   /* U+FBB0 */
    "\xdb\x93",   /* U+FBB1 */
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    "\xda\xad",   /* U+FBD3 */
    "\xda\xad",   /* U+FBD4 */
    "\xda\xad",   /* U+FBD5 */
    "\xda\xad",   /* U+FBD6 */
    "\xdb\x87",   /* U+FBD7 */
    "\xdb\x87",   /* U+FBD8 */
    "\xdb\x86",   /* U+FBD9 */
    "\xdb\x86",   /* U+FBDA */
    "\xdb\x88",   /* U+FBDB */
    "\xdb\x88",   /* U+FBDC */
    "\xdb\x87\xd9\xb4",   /* U+FBDD */
    "\xdb\x8b",   /* U+FBDE */
    "\xdb\x8b",   /* U+FBDF */
    "\xdb\x85",   /* U+FBE0 */
    "\xdb\x85",   /* U+FBE1 */
    "\xdb\x89",   /* U+FBE2 */
    "\xdb\x89",   /* U+FBE3 */
    "\xdb\x90",   /* U+FBE4 */
    "\xdb\x90",   /* U+FBE5 */
    "\xdb\x90",   /* U+FBE6 */
    "\xdb\x90",   /* U+FBE7 */
    "\xd9\x89",   /* U+FBE8 */
    "\xd9\x89",   /* U+FBE9 */
    "\xd8\xa6\xd8\xa7",   /* U+FBEA */
    "\xd8\xa6\xd8\xa7",   /* U+FBEB */
    "\xd8\xa6\xdb\x95",   /* U+FBEC */
    "\xd8\xa6\xdb\x95",   /* U+FBED */
    "\xd8\xa6\xd9\x88",   /* U+FBEE */
    "\xd8\xa6\xd9\x88",   /* U+FBEF */
    "\xd8\xa6\xdb\x87",   /* U+FBF0 */
    "\xd8\xa6\xdb\x87",   /* U+FBF1 */
    "\xd8\xa6\xdb\x86",   /* U+FBF2 */
    "\xd8\xa6\xdb\x86",   /* U+FBF3 */
    "\xd8\xa6\xdb\x88",   /* U+FBF4 */
    "\xd8\xa6\xdb\x88",   /* U+FBF5 */
    "\xd8\xa6\xdb\x90",   /* U+FBF6 */
    "\xd8\xa6\xdb\x90",   /* U+FBF7 */
    "\xd8\xa6\xdb\x90",   /* U+FBF8 */
    "\xd8\xa6\xd9\x89",   /* U+FBF9 */
    "\xd8\xa6\xd9\x89",   /* U+FBFA */
    "\xd8\xa6\xd9\x89",   /* U+FBFB */
    "\xdb\x8c",   /* U+FBFC */
    "\xdb\x8c",   /* U+FBFD */
    "\xdb\x8c",   /* U+FBFE */
    "\xdb\x8c",   /* U+FBFF */
    "\xd8\xa6\xd8\xac",   /* U+FC00 */
    "\xd8\xa6\xd8\xad",   /* U+FC01 */
    "\xd8\xa6\xd9\x85",   /* U+FC02 */
    "\xd8\xa6\xd9\x89",   /* U+FC03 */
    "\xd8\xa6\xd9\x8a",   /* U+FC04 */
    "\xd8\xa8\xd8\xac",   /* U+FC05 */
    "\xd8\xa8\xd8\xad",   /* U+FC06 */
    "\xd8\xa8\xd8\xae",   /* U+FC07 */
    "\xd8\xa8\xd9\x85",   /* U+FC08 */
    "\xd8\xa8\xd9\x89",   /* U+FC09 */
    "\xd8\xa8\xd9\x8a",   /* U+FC0A */
    "\xd8\xaa\xd8\xac",   /* U+FC0B */
    "\xd8\xaa\xd8\xad",   /* U+FC0C */
    "\xd8\xaa\xd8\xae",   /* U+FC0D */
    "\xd8\xaa\xd9\x85",   /* U+FC0E */
    "\xd8\xaa\xd9\x89",   /* U+FC0F */
    "\xd8\xaa\xd9\x8a",   /* U+FC10 */
    "\xd8\xab\xd8\xac",   /* U+FC11 */
    "\xd8\xab\xd9\x85",   /* U+FC12 */
    "\xd8\xab\xd9\x89",   /* U+FC13 */
    "\xd8\xab\xd9\x8a",   /* U+FC14 */
    "\xd8\xac\xd8\xad",   /* U+FC15 */
    "\xd8\xac\xd9\x85",   /* U+FC16 */
    "\xd8\xad\xd8\xac",   /* U+FC17 */
    "\xd8\xad\xd9\x85",   /* U+FC18 */
    "\xd8\xae\xd8\xac",   /* U+FC19 */
    "\xd8\xae\xd8\xad",   /* U+FC1A */
    "\xd8\xae\xd9\x85",   /* U+FC1B */
    "\xd8\xb3\xd8\xac",   /* U+FC1C */
    "\xd8\xb3\xd8\xad",   /* U+FC1D */
    "\xd8\xb3\xd8\xae",   /* U+FC1E */
    "\xd8\xb3\xd9\x85",   /* U+FC1F */
    "\xd8\xb5\xd8\xad",   /* U+FC20 */
    "\xd8\xb5\xd9\x85",   /* U+FC21 */
    "\xd8\xb6\xd8\xac",   /* U+FC22 */
    "\xd8\xb6\xd8\xad",   /* U+FC23 */
    "\xd8\xb6\xd8\xae",   /* U+FC24 */
    "\xd8\xb6\xd9\x85",   /* U+FC25 */
    "\xd8\xb7\xd8\xad",   /* U+FC26 */
    "\xd8\xb7\xd9\x85",   /* U+FC27 */
    "\xd8\xb8\xd9\x85",   /* U+FC28 */
    "\xd8\xb9\xd8\xac",   /* U+FC29 */
    "\xd8\xb9\xd9\x85",   /* U+FC2A */
    "\xd8\xba\xd8\xac",   /* U+FC2B */
    "\xd8\xba\xd9\x85",   /* U+FC2C */
    "\xd9\x81\xd8\xac",   /* U+FC2D */
    "\xd9\x81\xd8\xad",   /* U+FC2E */
    "\xd9\x81\xd8\xae",   /* U+FC2F */
    "\xd9\x81\xd9\x85",   /* U+FC30 */
    "\xd9\x81\xd9\x89",   /* U+FC31 */
    "\xd9\x81\xd9\x8a",   /* U+FC32 */
    "\xd9\x82\xd8\xad",   /* U+FC33 */
    "\xd9\x82\xd9\x85",   /* U+FC34 */
    "\xd9\x82\xd9\x89",   /* U+FC35 */
    "\xd9\x82\xd9\x8a",   /* U+FC36 */
    "\xd9\x83\xd8\xa7",   /* U+FC37 */
    "\xd9\x83\xd8\xac",   /* U+FC38 */
    "\xd9\x83\xd8\xad",   /* U+FC39 */
    "\xd9\x83\xd8\xae",   /* U+FC3A */
    "\xd9\x83\xd9\x84",   /* U+FC3B */
    "\xd9\x83\xd9\x85",   /* U+FC3C */
    "\xd9\x83\xd9\x89",   /* U+FC3D */
    "\xd9\x83\xd9\x8a",   /* U+FC3E */
    "\xd9\x84\xd8\xac",   /* U+FC3F */
    "\xd9\x84\xd8\xad",   /* U+FC40 */
    "\xd9\x84\xd8\xae",   /* U+FC41 */
    "\xd9\x84\xd9\x85",   /* U+FC42 */
    "\xd9\x84\xd9\x89",   /* U+FC43 */
    "\xd9\x84\xd9\x8a",   /* U+FC44 */
    "\xd9\x85\xd8\xac",   /* U+FC45 */
    "\xd9\x85\xd8\xad",   /* U+FC46 */
    "\xd9\x85\xd8\xae",   /* U+FC47 */
    "\xd9\x85\xd9\x85",   /* U+FC48 */
    "\xd9\x85\xd9\x89",   /* U+FC49 */
    "\xd9\x85\xd9\x8a",   /* U+FC4A */
    "\xd9\x86\xd8\xac",   /* U+FC4B */
    "\xd9\x86\xd8\xad",   /* U+FC4C */
    "\xd9\x86\xd8\xae",   /* U+FC4D */
    "\xd9\x86\xd9\x85",   /* U+FC4E */
    "\xd9\x86\xd9\x89",   /* U+FC4F */
    "\xd9\x86\xd9\x8a",   /* U+FC50 */
    "\xd9\x87\xd8\xac",   /* U+FC51 */
    "\xd9\x87\xd9\x85",   /* U+FC52 */
    "\xd9\x87\xd9\x89",   /* U+FC53 */
    "\xd9\x87\xd9\x8a",   /* U+FC54 */
    "\xd9\x8a\xd8\xac",   /* U+FC55 */
    "\xd9\x8a\xd8\xad",   /* U+FC56 */
    "\xd9\x8a\xd8\xae",   /* U+FC57 */
    "\xd9\x8a\xd9\x85",   /* U+FC58 */
    "\xd9\x8a\xd9\x89",   /* U+FC59 */
    "\xd9\x8a\xd9\x8a",   /* U+FC5A */
    "\xd8\xb0\xd9\xb0",   /* U+FC5B */
    "\xd8\xb1\xd9\xb0",   /* U+FC5C */
    "\xd9\x89\xd9\xb0",   /* U+FC5D */
    "\x20\xd9\x8c\xd9\x91",   /* U+FC5E */
    "\x20\xd9\x8d\xd9\x91",   /* U+FC5F */
    "\x20\xd9\x8e\xd9\x91",   /* U+FC60 */
    "\x20\xd9\x8f\xd9\x91",   /* U+FC61 */
    "\x20\xd9\x90\xd9\x91",   /* U+FC62 */
    "\x20\xd9\x91\xd9\xb0",   /* U+FC63 */
    "\xd8\xa6\xd8\xb1",   /* U+FC64 */
    "\xd8\xa6\xd8\xb2",   /* U+FC65 */
    "\xd8\xa6\xd9\x85",   /* U+FC66 */
    "\xd8\xa6\xd9\x86",   /* U+FC67 */
    "\xd8\xa6\xd9\x89",   /* U+FC68 */
    "\xd8\xa6\xd9\x8a",   /* U+FC69 */
    "\xd8\xa8\xd8\xb1",   /* U+FC6A */
    "\xd8\xa8\xd8\xb2",   /* U+FC6B */
    "\xd8\xa8\xd9\x85",   /* U+FC6C */
    "\xd8\xa8\xd9\x86",   /* U+FC6D */
    "\xd8\xa8\xd9\x89",   /* U+FC6E */
    "\xd8\xa8\xd9\x8a",   /* U+FC6F */
    "\xd8\xaa\xd8\xb1",   /* U+FC70 */
    "\xd8\xaa\xd8\xb2",   /* U+FC71 */
    "\xd8\xaa\xd9\x85",   /* U+FC72 */
    "\xd8\xaa\xd9\x86",   /* U+FC73 */
    "\xd8\xaa\xd9\x89",   /* U+FC74 */
    "\xd8\xaa\xd9\x8a",   /* U+FC75 */
    "\xd8\xab\xd8\xb1",   /* U+FC76 */
    "\xd8\xab\xd8\xb2",   /* U+FC77 */
    "\xd8\xab\xd9\x85",   /* U+FC78 */
    "\xd8\xab\xd9\x86",   /* U+FC79 */
    "\xd8\xab\xd9\x89",   /* U+FC7A */
    "\xd8\xab\xd9\x8a",   /* U+FC7B */
    "\xd9\x81\xd9\x89",   /* U+FC7C */
    "\xd9\x81\xd9\x8a",   /* U+FC7D */
    "\xd9\x82\xd9\x89",   /* U+FC7E */
    "\xd9\x82\xd9\x8a",   /* U+FC7F */
    "\xd9\x83\xd8\xa7",   /* U+FC80 */
    "\xd9\x83\xd9\x84",   /* U+FC81 */
    "\xd9\x83\xd9\x85",   /* U+FC82 */
    "\xd9\x83\xd9\x89",   /* U+FC83 */
    "\xd9\x83\xd9\x8a",   /* U+FC84 */
    "\xd9\x84\xd9\x85",   /* U+FC85 */
    "\xd9\x84\xd9\x89",   /* U+FC86 */
    "\xd9\x84\xd9\x8a",   /* U+FC87 */
    "\xd9\x85\xd8\xa7",   /* U+FC88 */
    "\xd9\x85\xd9\x85",   /* U+FC89 */
    "\xd9\x86\xd8\xb1",   /* U+FC8A */
    "\xd9\x86\xd8\xb2",   /* U+FC8B */
    "\xd9\x86\xd9\x85",   /* U+FC8C */
    "\xd9\x86\xd9\x86",   /* U+FC8D */
    "\xd9\x86\xd9\x89",   /* U+FC8E */
    "\xd9\x86\xd9\x8a",   /* U+FC8F */
    "\xd9\x89\xd9\xb0",   /* U+FC90 */
    "\xd9\x8a\xd8\xb1",   /* U+FC91 */
    "\xd9\x8a\xd8\xb2",   /* U+FC92 */
    "\xd9\x8a\xd9\x85",   /* U+FC93 */
    "\xd9\x8a\xd9\x86",   /* U+FC94 */
    "\xd9\x8a\xd9\x89",   /* U+FC95 */
    "\xd9\x8a\xd9\x8a",   /* U+FC96 */
    "\xd8\xa6\xd8\xac",   /* U+FC97 */
    "\xd8\xa6\xd8\xad",   /* U+FC98 */
    "\xd8\xa6\xd8\xae",   /* U+FC99 */
    "\xd8\xa6\xd9\x85",   /* U+FC9A */
    "\xd8\xa6\xd9\x87",   /* U+FC9B */
    "\xd8\xa8\xd8\xac",   /* U+FC9C */
    "\xd8\xa8\xd8\xad",   /* U+FC9D */
    "\xd8\xa8\xd8\xae",   /* U+FC9E */
    "\xd8\xa8\xd9\x85",   /* U+FC9F */
    "\xd8\xa8\xd9\x87",   /* U+FCA0 */
    "\xd8\xaa\xd8\xac",   /* U+FCA1 */
    "\xd8\xaa\xd8\xad",   /* U+FCA2 */
    "\xd8\xaa\xd8\xae",   /* U+FCA3 */
    "\xd8\xaa\xd9\x85",   /* U+FCA4 */
    "\xd8\xaa\xd9\x87",   /* U+FCA5 */
    "\xd8\xab\xd9\x85",   /* U+FCA6 */
    "\xd8\xac\xd8\xad",   /* U+FCA7 */
    "\xd8\xac\xd9\x85",   /* U+FCA8 */
    "\xd8\xad\xd8\xac",   /* U+FCA9 */
    "\xd8\xad\xd9\x85",   /* U+FCAA */
    "\xd8\xae\xd8\xac",   /* U+FCAB */
    "\xd8\xae\xd9\x85",   /* U+FCAC */
    "\xd8\xb3\xd8\xac",   /* U+FCAD */
    "\xd8\xb3\xd8\xad",   /* U+FCAE */
    "\xd8\xb3\xd8\xae",   /* U+FCAF */
    "\xd8\xb3\xd9\x85",   /* U+FCB0 */
    "\xd8\xb5\xd8\xad",   /* U+FCB1 */
    "\xd8\xb5\xd8\xae",   /* U+FCB2 */
    "\xd8\xb5\xd9\x85",   /* U+FCB3 */
    "\xd8\xb6\xd8\xac",   /* U+FCB4 */
    "\xd8\xb6\xd8\xad",   /* U+FCB5 */
    "\xd8\xb6\xd8\xae",   /* U+FCB6 */
    "\xd8\xb6\xd9\x85",   /* U+FCB7 */
    "\xd8\xb7\xd8\xad",   /* U+FCB8 */
    "\xd8\xb8\xd9\x85",   /* U+FCB9 */
    "\xd8\xb9\xd8\xac",   /* U+FCBA */
    "\xd8\xb9\xd9\x85",   /* U+FCBB */
    "\xd8\xba\xd8\xac",   /* U+FCBC */
    "\xd8\xba\xd9\x85",   /* U+FCBD */
    "\xd9\x81\xd8\xac",   /* U+FCBE */
    "\xd9\x81\xd8\xad",   /* U+FCBF */
    "\xd9\x81\xd8\xae",   /* U+FCC0 */
    "\xd9\x81\xd9\x85",   /* U+FCC1 */
    "\xd9\x82\xd8\xad",   /* U+FCC2 */
    "\xd9\x82\xd9\x85",   /* U+FCC3 */
    "\xd9\x83\xd8\xac",   /* U+FCC4 */
    "\xd9\x83\xd8\xad",   /* U+FCC5 */
    "\xd9\x83\xd8\xae",   /* U+FCC6 */
    "\xd9\x83\xd9\x84",   /* U+FCC7 */
    "\xd9\x83\xd9\x85",   /* U+FCC8 */
    "\xd9\x84\xd8\xac",   /* U+FCC9 */
    "\xd9\x84\xd8\xad",   /* U+FCCA */
    "\xd9\x84\xd8\xae",   /* U+FCCB */
    "\xd9\x84\xd9\x85",   /* U+FCCC */
    "\xd9\x84\xd9\x87",   /* U+FCCD */
    "\xd9\x85\xd8\xac",   /* U+FCCE */
    "\xd9\x85\xd8\xad",   /* U+FCCF */
    "\xd9\x85\xd8\xae",   /* U+FCD0 */
    "\xd9\x85\xd9\x85",   /* U+FCD1 */
    "\xd9\x86\xd8\xac",   /* U+FCD2 */
    "\xd9\x86\xd8\xad",   /* U+FCD3 */
    "\xd9\x86\xd8\xae",   /* U+FCD4 */
    "\xd9\x86\xd9\x85",   /* U+FCD5 */
    "\xd9\x86\xd9\x87",   /* U+FCD6 */
    "\xd9\x87\xd8\xac",   /* U+FCD7 */
    "\xd9\x87\xd9\x85",   /* U+FCD8 */
    "\xd9\x87\xd9\xb0",   /* U+FCD9 */
    "\xd9\x8a\xd8\xac",   /* U+FCDA */
    "\xd9\x8a\xd8\xad",   /* U+FCDB */
    "\xd9\x8a\xd8\xae",   /* U+FCDC */
    "\xd9\x8a\xd9\x85",   /* U+FCDD */
    "\xd9\x8a\xd9\x87",   /* U+FCDE */
    "\xd8\xa6\xd9\x85",   /* U+FCDF */
    "\xd8\xa6\xd9\x87",   /* U+FCE0 */
    "\xd8\xa8\xd9\x85",   /* U+FCE1 */
    "\xd8\xa8\xd9\x87",   /* U+FCE2 */
    "\xd8\xaa\xd9\x85",   /* U+FCE3 */
    "\xd8\xaa\xd9\x87",   /* U+FCE4 */
    "\xd8\xab\xd9\x85",   /* U+FCE5 */
    "\xd8\xab\xd9\x87",   /* U+FCE6 */
    "\xd8\xb3\xd9\x85",   /* U+FCE7 */
    "\xd8\xb3\xd9\x87",   /* U+FCE8 */
    "\xd8\xb4\xd9\x85",   /* U+FCE9 */
    "\xd8\xb4\xd9\x87",   /* U+FCEA */
    "\xd9\x83\xd9\x84",   /* U+FCEB */
    "\xd9\x83\xd9\x85",   /* U+FCEC */
    "\xd9\x84\xd9\x85",   /* U+FCED */
    "\xd9\x86\xd9\x85",   /* U+FCEE */
    "\xd9\x86\xd9\x87",   /* U+FCEF */
    "\xd9\x8a\xd9\x85",   /* U+FCF0 */
    "\xd9\x8a\xd9\x87",   /* U+FCF1 */
    "\xd9\x80\xd9\x8e\xd9\x91",   /* U+FCF2 */
    "\xd9\x80\xd9\x8f\xd9\x91",   /* U+FCF3 */
    "\xd9\x80\xd9\x90\xd9\x91",   /* U+FCF4 */
    "\xd8\xb7\xd9\x89",   /* U+FCF5 */
    "\xd8\xb7\xd9\x8a",   /* U+FCF6 */
    "\xd8\xb9\xd9\x89",   /* U+FCF7 */
    "\xd8\xb9\xd9\x8a",   /* U+FCF8 */
    "\xd8\xba\xd9\x89",   /* U+FCF9 */
    "\xd8\xba\xd9\x8a",   /* U+FCFA */
    "\xd8\xb3\xd9\x89",   /* U+FCFB */
    "\xd8\xb3\xd9\x8a",   /* U+FCFC */
    "\xd8\xb4\xd9\x89",   /* U+FCFD */
    "\xd8\xb4\xd9\x8a",   /* U+FCFE */
    "\xd8\xad\xd9\x89",   /* U+FCFF */
    "\xd8\xad\xd9\x8a",   /* U+FD00 */
    "\xd8\xac\xd9\x89",   /* U+FD01 */
    "\xd8\xac\xd9\x8a",   /* U+FD02 */
    "\xd8\xae\xd9\x89",   /* U+FD03 */
    "\xd8\xae\xd9\x8a",   /* U+FD04 */
    "\xd8\xb5\xd9\x89",   /* U+FD05 */
    "\xd8\xb5\xd9\x8a",   /* U+FD06 */
    "\xd8\xb6\xd9\x89",   /* U+FD07 */
    "\xd8\xb6\xd9\x8a",   /* U+FD08 */
    "\xd8\xb4\xd8\xac",   /* U+FD09 */
    "\xd8\xb4\xd8\xad",   /* U+FD0A */
    "\xd8\xb4\xd8\xae",   /* U+FD0B */
    "\xd8\xb4\xd9\x85",   /* U+FD0C */
    "\xd8\xb4\xd8\xb1",   /* U+FD0D */
    "\xd8\xb3\xd8\xb1",   /* U+FD0E */
    "\xd8\xb5\xd8\xb1",   /* U+FD0F */
    "\xd8\xb6\xd8\xb1",   /* U+FD10 */
    "\xd8\xb7\xd9\x89",   /* U+FD11 */
    "\xd8\xb7\xd9\x8a",   /* U+FD12 */
    "\xd8\xb9\xd9\x89",   /* U+FD13 */
    "\xd8\xb9\xd9\x8a",   /* U+FD14 */
    "\xd8\xba\xd9\x89",   /* U+FD15 */
    "\xd8\xba\xd9\x8a",   /* U+FD16 */
    "\xd8\xb3\xd9\x89",   /* U+FD17 */
    "\xd8\xb3\xd9\x8a",   /* U+FD18 */
    "\xd8\xb4\xd9\x89",   /* U+FD19 */
    "\xd8\xb4\xd9\x8a",   /* U+FD1A */
    "\xd8\xad\xd9\x89",   /* U+FD1B */
    "\xd8\xad\xd9\x8a",   /* U+FD1C */
    "\xd8\xac\xd9\x89",   /* U+FD1D */
    "\xd8\xac\xd9\x8a",   /* U+FD1E */
    "\xd8\xae\xd9\x89",   /* U+FD1F */
    "\xd8\xae\xd9\x8a",   /* U+FD20 */
    "\xd8\xb5\xd9\x89",   /* U+FD21 */
    "\xd8\xb5\xd9\x8a",   /* U+FD22 */
    "\xd8\xb6\xd9\x89",   /* U+FD23 */
    "\xd8\xb6\xd9\x8a",   /* U+FD24 */
    "\xd8\xb4\xd8\xac",   /* U+FD25 */
    "\xd8\xb4\xd8\xad",   /* U+FD26 */
    "\xd8\xb4\xd8\xae",   /* U+FD27 */
    "\xd8\xb4\xd9\x85",   /* U+FD28 */
    "\xd8\xb4\xd8\xb1",   /* U+FD29 */
    "\xd8\xb3\xd8\xb1",   /* U+FD2A */
    "\xd8\xb5\xd8\xb1",   /* U+FD2B */
    "\xd8\xb6\xd8\xb1",   /* U+FD2C */
    "\xd8\xb4\xd8\xac",   /* U+FD2D */
    "\xd8\xb4\xd8\xad",   /* U+FD2E */
    "\xd8\xb4\xd8\xae",   /* U+FD2F */
    "\xd8\xb4\xd9\x85",   /* U+FD30 */
    "\xd8\xb3\xd9\x87",   /* U+FD31 */
    "\xd8\xb4\xd9\x87",   /* U+FD32 */
    "\xd8\xb7\xd9\x85",   /* U+FD33 */
    "\xd8\xb3\xd8\xac",   /* U+FD34 */
    "\xd8\xb3\xd8\xad",   /* U+FD35 */
    "\xd8\xb3\xd8\xae",   /* U+FD36 */
    "\xd8\xb4\xd8\xac",   /* U+FD37 */
    "\xd8\xb4\xd8\xad",   /* U+FD38 */
    "\xd8\xb4\xd8\xae",   /* U+FD39 */
    "\xd8\xb7\xd9\x85",   /* U+FD3A */
    "\xd8\xb8\xd9\x85",   /* U+FD3B */
    "\xd8\xa7\xd9\x8b",   /* U+FD3C */
    "\xd8\xa7\xd9\x8b",   /* U+FD3D */
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    "\xd8\xaa\xd8\xac\xd9\x85",   /* U+FD50 */
    "\xd8\xaa\xd8\xad\xd8\xac",   /* U+FD51 */
    "\xd8\xaa\xd8\xad\xd8\xac",   /* U+FD52 */
    "\xd8\xaa\xd8\xad\xd9\x85",   /* U+FD53 */
    "\xd8\xaa\xd8\xae\xd9\x85",   /* U+FD54 */
    "\xd8\xaa\xd9\x85\xd8\xac",   /* U+FD55 */
    "\xd8\xaa\xd9\x85\xd8\xad",   /* U+FD56 */
    "\xd8\xaa\xd9\x85\xd8\xae",   /* U+FD57 */
    "\xd8\xac\xd9\x85\xd8\xad",   /* U+FD58 */
    "\xd8\xac\xd9\x85\xd8\xad",   /* U+FD59 */
    "\xd8\xad\xd9\x85\xd9\x8a",   /* U+FD5A */
    "\xd8\xad\xd9\x85\xd9\x89",   /* U+FD5B */
    "\xd8\xb3\xd8\xad\xd8\xac",   /* U+FD5C */
    "\xd8\xb3\xd8\xac\xd8\xad",   /* U+FD5D */
    "\xd8\xb3\xd8\xac\xd9\x89",   /* U+FD5E */
    "\xd8\xb3\xd9\x85\xd8\xad",   /* U+FD5F */
    "\xd8\xb3\xd9\x85\xd8\xad",   /* U+FD60 */
    "\xd8\xb3\xd9\x85\xd8\xac",   /* U+FD61 */
    "\xd8\xb3\xd9\x85\xd9\x85",   /* U+FD62 */
    "\xd8\xb3\xd9\x85\xd9\x85",   /* U+FD63 */
    "\xd8\xb5\xd8\xad\xd8\xad",   /* U+FD64 */
    "\xd8\xb5\xd8\xad\xd8\xad",   /* U+FD65 */
    "\xd8\xb5\xd9\x85\xd9\x85",   /* U+FD66 */
    "\xd8\xb4\xd8\xad\xd9\x85",   /* U+FD67 */
    "\xd8\xb4\xd8\xad\xd9\x85",   /* U+FD68 */
    "\xd8\xb4\xd8\xac\xd9\x8a",   /* U+FD69 */
    "\xd8\xb4\xd9\x85\xd8\xae",   /* U+FD6A */
    "\xd8\xb4\xd9\x85\xd8\xae",   /* U+FD6B */
    "\xd8\xb4\xd9\x85\xd9\x85",   /* U+FD6C */
    "\xd8\xb4\xd9\x85\xd9\x85",   /* U+FD6D */
    "\xd8\xb6\xd8\xad\xd9\x89",   /* U+FD6E */
    "\xd8\xb6\xd8\xae\xd9\x85",   /* U+FD6F */
    "\xd8\xb6\xd8\xae\xd9\x85",   /* U+FD70 */
    "\xd8\xb7\xd9\x85\xd8\xad",   /* U+FD71 */
    "\xd8\xb7\xd9\x85\xd8\xad",   /* U+FD72 */
    "\xd8\xb7\xd9\x85\xd9\x85",   /* U+FD73 */
    "\xd8\xb7\xd9\x85\xd9\x8a",   /* U+FD74 */
    "\xd8\xb9\xd8\xac\xd9\x85",   /* U+FD75 */
    "\xd8\xb9\xd9\x85\xd9\x85",   /* U+FD76 */
    "\xd8\xb9\xd9\x85\xd9\x85",   /* U+FD77 */
    "\xd8\xb9\xd9\x85\xd9\x89",   /* U+FD78 */
    "\xd8\xba\xd9\x85\xd9\x85",   /* U+FD79 */
    "\xd8\xba\xd9\x85\xd9\x8a",   /* U+FD7A */
    "\xd8\xba\xd9\x85\xd9\x89",   /* U+FD7B */
    "\xd9\x81\xd8\xae\xd9\x85",   /* U+FD7C */
    "\xd9\x81\xd8\xae\xd9\x85",   /* U+FD7D */
    "\xd9\x82\xd9\x85\xd8\xad",   /* U+FD7E */
    "\xd9\x82\xd9\x85\xd9\x85",   /* U+FD7F */
    "\xd9\x84\xd8\xad\xd9\x85",   /* U+FD80 */
    "\xd9\x84\xd8\xad\xd9\x8a",   /* U+FD81 */
    "\xd9\x84\xd8\xad\xd9\x89",   /* U+FD82 */
    "\xd9\x84\xd8\xac\xd8\xac",   /* U+FD83 */
    "\xd9\x84\xd8\xac\xd8\xac",   /* U+FD84 */
    "\xd9\x84\xd8\xae\xd9\x85",   /* U+FD85 */
    "\xd9\x84\xd8\xae\xd9\x85",   /* U+FD86 */
    "\xd9\x84\xd9\x85\xd8\xad",   /* U+FD87 */
    "\xd9\x84\xd9\x85\xd8\xad",   /* U+FD88 */
    "\xd9\x85\xd8\xad\xd8\xac",   /* U+FD89 */
    "\xd9\x85\xd8\xad\xd9\x85",   /* U+FD8A */
    "\xd9\x85\xd8\xad\xd9\x8a",   /* U+FD8B */
    "\xd9\x85\xd8\xac\xd8\xad",   /* U+FD8C */
    "\xd9\x85\xd8\xac\xd9\x85",   /* U+FD8D */
    "\xd9\x85\xd8\xae\xd8\xac",   /* U+FD8E */
    "\xd9\x85\xd8\xae\xd9\x85",   /* U+FD8F */
    NULL,
    NULL,
    "\xd9\x85\xd8\xac\xd8\xae",   /* U+FD92 */
    "\xd9\x87\xd9\x85\xd8\xac",   /* U+FD93 */
    "\xd9\x87\xd9\x85\xd9\x85",   /* U+FD94 */
    "\xd9\x86\xd8\xad\xd9\x85",   /* U+FD95 */
    "\xd9\x86\xd8\xad\xd9\x89",   /* U+FD96 */
    "\xd9\x86\xd8\xac\xd9\x85",   /* U+FD97 */
    "\xd9\x86\xd8\xac\xd9\x85",   /* U+FD98 */
    "\xd9\x86\xd8\xac\xd9\x89",   /* U+FD99 */
    "\xd9\x86\xd9\x85\xd9\x8a",   /* U+FD9A */
    "\xd9\x86\xd9\x85\xd9\x89",   /* U+FD9B */
    "\xd9\x8a\xd9\x85\xd9\x85",   /* U+FD9C */
    "\xd9\x8a\xd9\x85\xd9\x85",   /* U+FD9D */
    "\xd8\xa8\xd8\xae\xd9\x8a",   /* U+FD9E */
    "\xd8\xaa\xd8\xac\xd9\x8a",   /* U+FD9F */
    "\xd8\xaa\xd8\xac\xd9\x89",   /* U+FDA0 */
    "\xd8\xaa\xd8\xae\xd9\x8a",   /* U+FDA1 */
    "\xd8\xaa\xd8\xae\xd9\x89",   /* U+FDA2 */
    "\xd8\xaa\xd9\x85\xd9\x8a",   /* U+FDA3 */
    "\xd8\xaa\xd9\x85\xd9\x89",   /* U+FDA4 */
    "\xd8\xac\xd9\x85\xd9\x8a",   /* U+FDA5 */
    "\xd8\xac\xd8\xad\xd9\x89",   /* U+FDA6 */
    "\xd8\xac\xd9\x85\xd9\x89",   /* U+FDA7 */
    "\xd8\xb3\xd8\xae\xd9\x89",   /* U+FDA8 */
    "\xd8\xb5\xd8\xad\xd9\x8a",   /* U+FDA9 */
    "\xd8\xb4\xd8\xad\xd9\x8a",   /* U+FDAA */
    "\xd8\xb6\xd8\xad\xd9\x8a",   /* U+FDAB */
    "\xd9\x84\xd8\xac\xd9\x8a",   /* U+FDAC */
    "\xd9\x84\xd9\x85\xd9\x8a",   /* U+FDAD */
    "\xd9\x8a\xd8\xad\xd9\x8a",   /* U+FDAE */
    "\xd9\x8a\xd8\xac\xd9\x8a",   /* U+FDAF */
    "\xd9\x8a\xd9\x85\xd9\x8a",   /* U+FDB0 */
    "\xd9\x85\xd9\x85\xd9\x8a",   /* U+FDB1 */
    "\xd9\x82\xd9\x85\xd9\x8a",   /* U+FDB2 */
    "\xd9\x86\xd8\xad\xd9\x8a",   /* U+FDB3 */
    "\xd9\x82\xd9\x85\xd8\xad",   /* U+FDB4 */
    "\xd9\x84\xd8\xad\xd9\x85",   /* U+FDB5 */
    "\xd8\xb9\xd9\x85\xd9\x8a",   /* U+FDB6 */
    "\xd9\x83\xd9\x85\xd9\x8a",   /* U+FDB7 */
    "\xd9\x86\xd8\xac\xd8\xad",   /* U+FDB8 */
    "\xd9\x85\xd8\xae\xd9\x8a",   /* U+FDB9 */
    "\xd9\x84\xd8\xac\xd9\x85",   /* U+FDBA */
    "\xd9\x83\xd9\x85\xd9\x85",   /* U+FDBB */
    "\xd9\x84\xd8\xac\xd9\x85",   /* U+FDBC */
    "\xd9\x86\xd8\xac\xd8\xad",   /* U+FDBD */
    "\xd8\xac\xd8\xad\xd9\x8a",   /* U+FDBE */
    "\xd8\xad\xd8\xac\xd9\x8a",   /* U+FDBF */
    "\xd9\x85\xd8\xac\xd9\x8a",   /* U+FDC0 */
    "\xd9\x81\xd9\x85\xd9\x8a",   /* U+FDC1 */
    "\xd8\xa8\xd8\xad\xd9\x8a",   /* U+FDC2 */
    "\xd9\x83\xd9\x85\xd9\x85",   /* U+FDC3 */
    "\xd8\xb9\xd8\xac\xd9\x85",   /* U+FDC4 */
    "\xd8\xb5\xd9\x85\xd9\x85",   /* U+FDC5 */
    "\xd8\xb3\xd8\xae\xd9\x8a",   /* U+FDC6 */
    "\xd9\x86\xd8\xac\xd9\x8a",   /* U+FDC7 */
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    "\xd8\xb5\xd9\x84\xdb\x92",   /* U+FDF0 */
    "\xd9\x82\xd9\x84\xdb\x92",   /* U+FDF1 */
    "\xd8\xa7\xd9\x84\xd9\x84\xd9\x87",   /* U+FDF2 */
    "\xd8\xa7\xd9\x83\xd8\xa8\xd8\xb1",   /* U+FDF3 */
    "\xd9\x85\xd8\xad\xd9\x85\xd8\xaf",   /* U+FDF4 */
    "\xd8\xb5\xd9\x84\xd8\xb9\xd9\x85",   /* U+FDF5 */
    "\xd8\xb1\xd8\xb3\xd9\x88\xd9\x84",   /* U+FDF6 */
    "\xd8\xb9\xd9\x84\xd9\x8a\xd9\x87",   /* U+FDF7 */
    "\xd9\x88\xd8\xb3\xd9\x84\xd9\x85",   /* U+FDF8 */
    "\xd8\xb5\xd9\x84\xd9\x89",   /* U+FDF9 */
    "\xd8\xb5\xd9\x84\xd9\x89\x20\xd8\xa7\xd9\x84\xd9\x84\xd9\x87\x20\xd8\xb9\xd9\x84\xd9\x8a\xd9\x87\x20\xd9\x88\xd8\xb3\xd9\x84\xd9\x85",   /* U+FDFA */
    "\xd8\xac\xd9\x84\x20\xd8\xac\xd9\x84\xd8\xa7\xd9\x84\xd9\x87",   /* U+FDFB */
    "\xd8\xb1\xdb\x8c\xd8\xa7\xd9\x84",   /* U+FDFC */
    NULL,
    NULL,
    NULL,
};

/* U+FE70..U+FEFF: the letters NFKC reads each Arabic presentation form as (UTF-8), NULL where none. */
static const char *const fold_arabic_pf_b[0xFEFF - 0xFE70 + 1] = {
    "\x20\xd9\x8b",   /* U+FE70 */
    "\xd9\x80\xd9\x8b",   /* U+FE71 */
    "\x20\xd9\x8c",   /* U+FE72 */
    NULL,
    "\x20\xd9\x8d",   /* U+FE74 */
    NULL,
    "\x20\xd9\x8e",   /* U+FE76 */
    "\xd9\x80\xd9\x8e",   /* U+FE77 */
    "\x20\xd9\x8f",   /* U+FE78 */
    "\xd9\x80\xd9\x8f",   /* U+FE79 */
    "\x20\xd9\x90",   /* U+FE7A */
    "\xd9\x80\xd9\x90",   /* U+FE7B */
    "\x20\xd9\x91",   /* U+FE7C */
    "\xd9\x80\xd9\x91",   /* U+FE7D */
    "\x20\xd9\x92",   /* U+FE7E */
    "\xd9\x80\xd9\x92",   /* U+FE7F */
    "\xd8\xa1",   /* U+FE80 */
    "\xd8\xa2",   /* U+FE81 */
    "\xd8\xa2",   /* U+FE82 */
    "\xd8\xa3",   /* U+FE83 */
    "\xd8\xa3",   /* U+FE84 */
    "\xd8\xa4",   /* U+FE85 */
    "\xd8\xa4",   /* U+FE86 */
    "\xd8\xa5",   /* U+FE87 */
    "\xd8\xa5",   /* U+FE88 */
    "\xd8\xa6",   /* U+FE89 */
    "\xd8\xa6",   /* U+FE8A */
    "\xd8\xa6",   /* U+FE8B */
    "\xd8\xa6",   /* U+FE8C */
    "\xd8\xa7",   /* U+FE8D */
    "\xd8\xa7",   /* U+FE8E */
    "\xd8\xa8",   /* U+FE8F */
    "\xd8\xa8",   /* U+FE90 */
    "\xd8\xa8",   /* U+FE91 */
    "\xd8\xa8",   /* U+FE92 */
    "\xd8\xa9",   /* U+FE93 */
    "\xd8\xa9",   /* U+FE94 */
    "\xd8\xaa",   /* U+FE95 */
    "\xd8\xaa",   /* U+FE96 */
    "\xd8\xaa",   /* U+FE97 */
    "\xd8\xaa",   /* U+FE98 */
    "\xd8\xab",   /* U+FE99 */
    "\xd8\xab",   /* U+FE9A */
    "\xd8\xab",   /* U+FE9B */
    "\xd8\xab",   /* U+FE9C */
    "\xd8\xac",   /* U+FE9D */
    "\xd8\xac",   /* U+FE9E */
    "\xd8\xac",   /* U+FE9F */
    "\xd8\xac",   /* U+FEA0 */
    "\xd8\xad",   /* U+FEA1 */
    "\xd8\xad",   /* U+FEA2 */
    "\xd8\xad",   /* U+FEA3 */
    "\xd8\xad",   /* U+FEA4 */
    "\xd8\xae",   /* U+FEA5 */
    "\xd8\xae",   /* U+FEA6 */
    "\xd8\xae",   /* U+FEA7 */
    "\xd8\xae",   /* U+FEA8 */
    "\xd8\xaf",   /* U+FEA9 */
    "\xd8\xaf",   /* U+FEAA */
    "\xd8\xb0",   /* U+FEAB */
    "\xd8\xb0",   /* U+FEAC */
    "\xd8\xb1",   /* U+FEAD */
    "\xd8\xb1",   /* U+FEAE */
    "\xd8\xb2",   /* U+FEAF */
    "\xd8\xb2",   /* U+FEB0 */
    "\xd8\xb3",   /* U+FEB1 */
    "\xd8\xb3",   /* U+FEB2 */
    "\xd8\xb3",   /* U+FEB3 */
    "\xd8\xb3",   /* U+FEB4 */
    "\xd8\xb4",   /* U+FEB5 */
    "\xd8\xb4",   /* U+FEB6 */
    "\xd8\xb4",   /* U+FEB7 */
    "\xd8\xb4",   /* U+FEB8 */
    "\xd8\xb5",   /* U+FEB9 */
    "\xd8\xb5",   /* U+FEBA */
    "\xd8\xb5",   /* U+FEBB */
    "\xd8\xb5",   /* U+FEBC */
    "\xd8\xb6",   /* U+FEBD */
    "\xd8\xb6",   /* U+FEBE */
    "\xd8\xb6",   /* U+FEBF */
    "\xd8\xb6",   /* U+FEC0 */
    "\xd8\xb7",   /* U+FEC1 */
    "\xd8\xb7",   /* U+FEC2 */
    "\xd8\xb7",   /* U+FEC3 */
    "\xd8\xb7",   /* U+FEC4 */
    "\xd8\xb8",   /* U+FEC5 */
    "\xd8\xb8",   /* U+FEC6 */
    "\xd8\xb8",   /* U+FEC7 */
    "\xd8\xb8",   /* U+FEC8 */
    "\xd8\xb9",   /* U+FEC9 */
    "\xd8\xb9",   /* U+FECA */
    "\xd8\xb9",   /* U+FECB */
    "\xd8\xb9",   /* U+FECC */
    "\xd8\xba",   /* U+FECD */
    "\xd8\xba",   /* U+FECE */
    "\xd8\xba",   /* U+FECF */
    "\xd8\xba",   /* U+FED0 */
    "\xd9\x81",   /* U+FED1 */
    "\xd9\x81",   /* U+FED2 */
    "\xd9\x81",   /* U+FED3 */
    "\xd9\x81",   /* U+FED4 */
    "\xd9\x82",   /* U+FED5 */
    "\xd9\x82",   /* U+FED6 */
    "\xd9\x82",   /* U+FED7 */
    "\xd9\x82",   /* U+FED8 */
    "\xd9\x83",   /* U+FED9 */
    "\xd9\x83",   /* U+FEDA */
    "\xd9\x83",   /* U+FEDB */
    "\xd9\x83",   /* U+FEDC */
    "\xd9\x84",   /* U+FEDD */
    "\xd9\x84",   /* U+FEDE */
    "\xd9\x84",   /* U+FEDF */
    "\xd9\x84",   /* U+FEE0 */
    "\xd9\x85",   /* U+FEE1 */
    "\xd9\x85",   /* U+FEE2 */
    "\xd9\x85",   /* U+FEE3 */
    "\xd9\x85",   /* U+FEE4 */
    "\xd9\x86",   /* U+FEE5 */
    "\xd9\x86",   /* U+FEE6 */
    "\xd9\x86",   /* U+FEE7 */
    "\xd9\x86",   /* U+FEE8 */
    "\xd9\x87",   /* U+FEE9 */
    "\xd9\x87",   /* U+FEEA */
    "\xd9\x87",   /* U+FEEB */
    "\xd9\x87",   /* U+FEEC */
    "\xd9\x88",   /* U+FEED */
    "\xd9\x88",   /* U+FEEE */
    "\xd9\x89",   /* U+FEEF */
    "\xd9\x89",   /* U+FEF0 */
    "\xd9\x8a",   /* U+FEF1 */
    "\xd9\x8a",   /* U+FEF2 */
    "\xd9\x8a",   /* U+FEF3 */
    "\xd9\x8a",   /* U+FEF4 */
    "\xd9\x84\xd8\xa2",   /* U+FEF5 */
    "\xd9\x84\xd8\xa2",   /* U+FEF6 */
    "\xd9\x84\xd8\xa3",   /* U+FEF7 */
    "\xd9\x84\xd8\xa3",   /* U+FEF8 */
    "\xd9\x84\xd8\xa5",   /* U+FEF9 */
    "\xd9\x84\xd8\xa5",   /* U+FEFA */
    "\xd9\x84\xd8\xa7",   /* U+FEFB */
    "\xd9\x84\xd8\xa7",   /* U+FEFC */
    NULL,
    NULL,
    NULL,
};

#endif
