package main

// Tokyo Cabinet's hash database through cgo (Debian's libtokyocabinet-dev),
// opened with HDBOTSYNC so that every transaction commit is synced, one
// transaction per put: the commit path of the BlitzDB engine blitz descends
// from.

/*
#cgo LDFLAGS: -ltokyocabinet
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <tcutil.h>
#include <tchdb.h>

static TCHDB *tc_open(const char *path, char **err) {
	TCHDB *h = tchdbnew();
	if (!tchdbopen(h, path, HDBOWRITER | HDBOCREAT | HDBOTRUNC | HDBOTSYNC)) {
		*err = (char *)tchdberrmsg(tchdbecode(h));
		tchdbdel(h);
		return NULL;
	}
	return h;
}

// tc_commit puts one record in its own transaction.
static int tc_commit(TCHDB *h, const void *k, int ks, const void *v, int vs) {
	if (!tchdbtranbegin(h)) return tchdbecode(h);
	if (!tchdbput(h, k, ks, v, vs)) { tchdbtranabort(h); return tchdbecode(h); }
	if (!tchdbtrancommit(h)) return tchdbecode(h);
	return 0;
}

static void tc_close(TCHDB *h) { tchdbclose(h); tchdbdel(h); }
static const char *tc_errmsg(int code) { return tchdberrmsg(code); }
*/
import "C"

import (
	"fmt"
	"path/filepath"
	"time"
	"unsafe"
)

// runTC commits one put per transaction for d and returns the commit count.
func runTC(dir string, d time.Duration) (int, error) {
	path := C.CString(filepath.Join(dir, "tc.tch"))
	defer C.free(unsafe.Pointer(path))
	var cerr *C.char
	h := C.tc_open(path, &cerr)
	if h == nil {
		return 0, fmt.Errorf("tchdbopen: %s", C.GoString(cerr))
	}
	defer C.tc_close(h)
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
		if code := C.tc_commit(h, key, keySize, val, valueSize); code != 0 {
			return n, fmt.Errorf("tc commit: %s", C.GoString(C.tc_errmsg(code)))
		}
	}
	return n, nil
}
