/* mod_mez_config.c: being written. */
