/* did.c: placeholder until implemented. */
