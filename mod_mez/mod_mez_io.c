/* mod_mez_io.c: being written. */
