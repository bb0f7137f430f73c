/* mod_mez_api.c: being written. */
