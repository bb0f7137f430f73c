/* mod_mez.c: module record (being written). */
#include "httpd.h"
#include "http_config.h"
AP_DECLARE_MODULE(mez) = { STANDARD20_MODULE_STUFF, NULL, NULL, NULL, NULL, NULL, NULL, AP_MODULE_FLAG_NONE };
