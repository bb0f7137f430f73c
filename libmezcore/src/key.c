/* key.c: placeholder until implemented. */
