package engine

// byteArena hands out copies of byte slices carved from large shared
// chunks: a full scan copies every key and row once, and one allocation
// per megabyte instead of two per row keeps the garbage collector out of
// the way. A chunk is never reused, so a copy stays valid for as long as
// anything refers to it (a Handle kept by UPDATE, say).
type byteArena struct{ buf []byte }

const arenaChunk = 1 << 20

func (a *byteArena) copy(b []byte) []byte {
	if len(b) > cap(a.buf)-len(a.buf) {
		n := arenaChunk
		if len(b) > n/4 {
			return append([]byte(nil), b...)
		}
		a.buf = make([]byte, 0, n)
	}
	start := len(a.buf)
	a.buf = append(a.buf, b...)
	return a.buf[start:len(a.buf):len(a.buf)]
}
