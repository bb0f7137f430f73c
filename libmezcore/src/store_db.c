/* store_db.c: placeholder until implemented. */
