/* vc_sign.c: placeholder until implemented. */
