/* mez/version.h: the library's version, reported by GET /v1/zone and `mez --version`. */
#ifndef MEZ_VERSION_H
#define MEZ_VERSION_H

const char *mez_version(void);

#endif
