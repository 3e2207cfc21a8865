#ifndef PATCHRIG_CLIBUV_SHIM_H
#define PATCHRIG_CLIBUV_SHIM_H
#include <uv.h>
#endif
