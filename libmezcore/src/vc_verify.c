/* vc_verify.c: placeholder until implemented. */
