package datafile

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/cespare/xxhash/v2"
)

var le = binary.LittleEndian

// Get returns a copy of the value stored under key. It returns ErrNotFound
// if the file does not contain the key, and a corruption error (IsCorruption)
// if the chain or the record does not verify.
func (df *File) Get(key []byte) ([]byte, error) {
	df.mu.RLock()
	defer df.mu.RUnlock()
	if err := df.readableLocked(); err != nil {
		return nil, err
	}
	h := xxhash.Sum64(key)
	_, off, err := df.findLocked(key, h)
	if err != nil {
		return nil, err
	}
	if off == 0 {
		return nil, ErrNotFound
	}
	b := df.m[off:]
	kl, vl := int64(le.Uint32(b[24:])), int64(le.Uint32(b[28:]))
	if off+recordSize(int(kl), int(vl)) > int64(df.hdr.tail) {
		return nil, df.corrupt(off, "record runs past the tail")
	}
	if blockCRC(b, kl+vl) != le.Uint32(b) {
		return nil, df.corrupt(off, "record checksum mismatch")
	}
	v := make([]byte, vl)
	copy(v, b[blockHeader+kl:])
	return v, nil
}

func (df *File) corrupt(off int64, reason string) error {
	return &CorruptionError{File: df.path, Offset: off, Reason: reason}
}

// findLocked walks key's chain. It returns the offset of the record holding
// key (0 if none) and the offset of the link that points at it (a bucket
// slot or a record's link field). Every link is validated, and the walk is
// bounded, so a damaged chain gives a corruption error, never a fault or a
// loop.
func (df *File) findLocked(key []byte, h uint64) (link, off int64, err error) {
	link = df.bucketBase + 8*int64(bucketOf(h, df.hdr.buckets))
	m, tail := df.m, int64(df.hdr.tail)
	h8 := byte(h)
	off = int64(le.Uint64(m[link:]))
	for steps := int64(0); off != 0; steps++ {
		if off < headerPage || off%blockAlign != 0 || off+blockHeader > tail || steps > tail/blockHeader {
			return 0, 0, df.corrupt(link, fmt.Sprintf("bad chain link %d", off))
		}
		b := m[off : off+blockHeader]
		if b[4] != kindRecord {
			return 0, 0, df.corrupt(off, fmt.Sprintf("chain reaches a block of kind %#x", b[4]))
		}
		if b[5] == h8 && int(le.Uint32(b[24:])) == len(key) {
			if off+blockHeader+int64(len(key)) > tail {
				return 0, 0, df.corrupt(off, "key runs past the tail")
			}
			if bytes.Equal(m[off+blockHeader:off+blockHeader+int64(len(key))], key) {
				return link, off, nil
			}
		}
		link = off + 8
		off = int64(le.Uint64(b[8:]))
	}
	return link, 0, nil
}

// Put stores value under key, replacing any previous value. The write goes
// straight to the file's pages (it survives a crash of this process); it is
// durable after the next Sync.
func (df *File) Put(key, value []byte) error { return df.put(key, value, false) }

// PutIfAbsent stores value under key unless the key is present, in which
// case it returns ErrExists and changes nothing.
func (df *File) PutIfAbsent(key, value []byte) error { return df.put(key, value, true) }

func (df *File) put(key, value []byte, ifAbsent bool) error {
	if len(key) > MaxKeySize {
		return ErrKeyTooLarge
	}
	if len(value) > MaxValueSize {
		return ErrValueTooLarge
	}
	df.lockWrite()
	defer df.mu.Unlock()
	if err := df.writableLocked(); err != nil {
		return err
	}
	df.hdr.seq++
	return df.putLocked(key, value, xxhash.Sum64(key), df.hdr.seq, ifAbsent, true)
}

// putLocked stores a record with sequence number seq. With lookup false the
// caller guarantees the key is absent (bulk loads into a new file).
func (df *File) putLocked(key, value []byte, h, seq uint64, ifAbsent, lookup bool) error {
	if err := df.changedLocked(); err != nil {
		return err
	}
	need := recordSize(len(key), len(value))
	var link, off int64
	if lookup {
		var err error
		if link, off, err = df.findLocked(key, h); err != nil {
			return err
		}
	}
	var old int64
	if off != 0 {
		if ifAbsent {
			return ErrExists
		}
		b := df.m[off:]
		old = recordSize(int(le.Uint32(b[24:])), int(le.Uint32(b[28:]))) + 16*int64(le.Uint16(b[6:]))
		if need <= old && old-need < blockHeader {
			// Same size class: rewrite in place, keeping the chain link.
			writeRecord(df.m[off:off+old], key, value, h, seq, le.Uint64(b[8:]), uint16((old-need)/16))
			return nil
		}
	}
	// The new block first, then the old record goes: a full disk (the
	// file cannot grow) fails the Put with the old record in place.
	noff, err := df.allocLocked(need)
	if err != nil {
		return err
	}
	size := df.allocSize
	if off != 0 {
		// allocLocked may have remapped the file: read it again.
		le.PutUint64(df.m[link:], le.Uint64(df.m[off+8:]))
		df.freeLocked(off, old)
		df.hdr.records--
	}
	slot := df.bucketBase + 8*int64(bucketOf(h, df.hdr.buckets))
	writeRecord(df.m[noff:noff+size], key, value, h, seq, le.Uint64(df.m[slot:]), uint16((size-need)/16))
	le.PutUint64(df.m[slot:], uint64(noff))
	df.hdr.records++
	if !df.opts.NoGrow && df.hdr.records > loadFactor*df.hdr.buckets && df.hdr.buckets < maxBuckets {
		return df.growBucketsLocked(min(2*df.hdr.records, maxBuckets))
	}
	return nil
}

// writeRecord fills b (exactly the block) with a record.
func writeRecord(b, key, value []byte, h, seq, next uint64, slack uint16) {
	n := blockHeader + copy(b[blockHeader:], key)
	n += copy(b[n:], value)
	clear(b[n:align16(int64(n))])
	putBlockHdr(b, &blockHdr{kind: kindRecord, hash8: byte(h), slack: slack, next: next, seq: seq,
		klen: uint32(len(key)), vlen: uint32(len(value))})
	sealBlock(b, int64(len(key)+len(value)))
}

// Delete removes key. It returns ErrNotFound if the key is absent. The
// record's block is marked free on disk, so a salvage never brings it back.
func (df *File) Delete(key []byte) error {
	df.lockWrite()
	defer df.mu.Unlock()
	if err := df.writableLocked(); err != nil {
		return err
	}
	link, off, err := df.findLocked(key, xxhash.Sum64(key))
	if err != nil {
		return err
	}
	if off == 0 {
		return ErrNotFound
	}
	if err := df.changedLocked(); err != nil {
		return err
	}
	b := df.m[off:]
	size := recordSize(int(le.Uint32(b[24:])), int(le.Uint32(b[28:]))) + 16*int64(le.Uint16(b[6:]))
	le.PutUint64(df.m[link:], le.Uint64(b[8:]))
	df.freeLocked(off, size)
	df.hdr.records--
	return nil
}

// Iterate calls fn for every record in file order (not key order). key and
// value are valid only during the call; fn must not write to df. Iteration
// stops at the first error fn returns, which Iterate returns; a record that
// does not verify stops it with a corruption error.
func (df *File) Iterate(fn func(key, value []byte) error) error {
	df.mu.RLock()
	defer df.mu.RUnlock()
	if err := df.readableLocked(); err != nil {
		return err
	}
	m := df.m[:df.hdr.tail]
	for off := int64(headerPage); off < int64(len(m)); {
		h, size, why := checkBlock(m[off:])
		if why != "" {
			return df.corrupt(off, why)
		}
		if h.kind == kindRecord {
			k := m[off+blockHeader : off+blockHeader+int64(h.klen)]
			v := m[off+blockHeader+int64(h.klen) : off+blockHeader+int64(h.klen)+int64(h.vlen)]
			if err := fn(k[:len(k):len(k)], v[:len(v):len(v)]); err != nil {
				return err
			}
		}
		off += size
	}
	return nil
}

// growBucketsLocked replaces the bucket array by one of nb buckets and
// relinks every record into it in one pass over the block area.
func (df *File) growBucketsLocked(nb uint64) error {
	off, err := df.allocLocked(recordSize(0, int(8*nb)))
	if err != nil {
		return err
	}
	df.writeBucketBlockLocked(off, nb, uint16((df.allocSize-recordSize(0, int(8*nb)))/16))
	oldOff := int64(df.hdr.bucketOff)
	oldHdr := readBlockHdr(df.m[oldOff:])
	base := off + blockHeader
	m := df.m[:df.hdr.tail]
	for p := int64(headerPage); p < int64(len(m)); {
		h, ok := walkHdr(m, p)
		if !ok {
			df.failed = df.corrupt(p, "bad block header while growing the bucket array")
			return df.failed
		}
		if h.kind == kindRecord {
			b := m[p:]
			hash := xxhash.Sum64(b[blockHeader : blockHeader+h.klen])
			slot := base + 8*int64(bucketOf(hash, nb))
			le.PutUint64(b[8:], le.Uint64(m[slot:]))
			le.PutUint64(m[slot:], uint64(p))
		}
		p += h.size()
	}
	df.hdr.buckets, df.hdr.bucketOff, df.bucketBase = nb, uint64(off), base
	df.freeLocked(oldOff, oldHdr.size())
	return nil
}

func hashKey(key []byte) uint64 { return xxhash.Sum64(key) }
