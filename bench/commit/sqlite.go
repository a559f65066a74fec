package main

// SQLite through cgo against Debian's libsqlite3-dev: WAL journal mode,
// synchronous=FULL, one INSERT per transaction (autocommit).

/*
#cgo LDFLAGS: -lsqlite3
#include <stdlib.h>
#include <sqlite3.h>

static int sq_insert(sqlite3_stmt *st, const void *k, int ks, const void *v, int vs) {
	sqlite3_bind_blob(st, 1, k, ks, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, v, vs, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : rc;
}
*/
import "C"

import (
	"fmt"
	"path/filepath"
	"time"
	"unsafe"
)

func sqErr(db *C.sqlite3, what string) error {
	return fmt.Errorf("sqlite %s: %s", what, C.GoString(C.sqlite3_errmsg(db)))
}

// runSQLite commits one INSERT per transaction for d and returns the count.
func runSQLite(dir string, d time.Duration) (int, error) {
	path := C.CString(filepath.Join(dir, "sqlite.db"))
	defer C.free(unsafe.Pointer(path))
	var db *C.sqlite3
	if rc := C.sqlite3_open(path, &db); rc != C.SQLITE_OK {
		return 0, fmt.Errorf("sqlite3_open: %d", rc)
	}
	defer C.sqlite3_close(db)
	for _, s := range []string{
		"PRAGMA journal_mode=WAL",
		"PRAGMA synchronous=FULL",
		"CREATE TABLE t(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID",
	} {
		cs := C.CString(s)
		rc := C.sqlite3_exec(db, cs, nil, nil, nil)
		C.free(unsafe.Pointer(cs))
		if rc != C.SQLITE_OK {
			return 0, sqErr(db, s)
		}
	}
	ins := C.CString("INSERT INTO t(k, v) VALUES(?, ?)")
	defer C.free(unsafe.Pointer(ins))
	var st *C.sqlite3_stmt
	if C.sqlite3_prepare_v2(db, ins, -1, &st, nil) != C.SQLITE_OK {
		return 0, sqErr(db, "prepare")
	}
	defer C.sqlite3_finalize(st)
	key := C.malloc(keySize)
	val := C.malloc(valueSize)
	defer C.free(key)
	defer C.free(val)
	kb := unsafe.Slice((*byte)(key), keySize)
	vb := unsafe.Slice((*byte)(val), valueSize)
	fillValue(vb)
	n := 0
	for start := time.Now(); time.Since(start) < d; n++ {
		fillKey(kb, 0, n)
		if rc := C.sq_insert(st, key, keySize, val, valueSize); rc != 0 {
			return n, sqErr(db, "insert")
		}
	}
	return n, nil
}
