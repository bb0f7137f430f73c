/* store_migrate.c: placeholder until implemented. */
