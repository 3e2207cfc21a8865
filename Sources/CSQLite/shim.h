#ifndef PATCHRIG_CSQLITE_SHIM_H
#define PATCHRIG_CSQLITE_SHIM_H
#include <sqlite3.h>
#endif
