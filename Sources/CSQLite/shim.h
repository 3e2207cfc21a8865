#ifndef PATCHRIG_CSQLITE_SHIM_H
#define PATCHRIG_CSQLITE_SHIM_H
#include <sqlite3.h>

/// SQLITE_TRANSIENT is a macro casting -1 to a function pointer, which Swift cannot import:
/// bound text and blobs are copied by SQLite before the call returns.
static inline sqlite3_destructor_type patchrig_sqlite_transient(void) {
    return SQLITE_TRANSIENT;
}

/// sqlite3_config is variadic, which Swift cannot call. Before the first connection: no
/// bulk allocation of page cache lines when a connection opens (SQLITE_CONFIG_PAGECACHE with no
/// buffer and N = 0). A registry is a few pages; by default each connection allocates and
/// touches room for 20 cache lines of 4 KB at once, page faults included, in every worker.
static inline int patchrig_sqlite_configure(void) {
    return sqlite3_config(SQLITE_CONFIG_PAGECACHE, (void *)0, 0, 0);
}

#endif
