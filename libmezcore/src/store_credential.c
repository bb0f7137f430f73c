/* store_credential.c: placeholder until implemented. */
