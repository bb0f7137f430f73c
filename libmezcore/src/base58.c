/* base58.c: placeholder until implemented. */
