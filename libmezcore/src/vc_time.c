/* vc_time.c: placeholder until implemented. */
