package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode/utf8"
)

// maxIndexBase bounds the bytes of an index file's name before ".bix", so
// that the name with the longest suffixes blitz adds (".bix.rebuild",
// ".sum", an index build's ".build-<digits>") stays within the 255 bytes a
// file name may have on Linux filesystems.
const maxIndexBase = 200

// IndexFileName is the name, in its database directory, of the file of
// table's index ix: TABLE.INDEX.bix, where INDEX is ix with every '@'
// written "@0040" and every '.' "@002e" (MariaDB's file-name encoding of
// those two characters). With no '.' in INDEX, the part of a file name
// between its last '.' and ".bix" is always the index, so table "x"'s
// index "y.k" and table "x.y"'s index "k" get two files (they shared one
// before: the second CREATE TABLE replaced the first table's index, and
// the database would not open again). When TABLE.INDEX would pass
// maxIndexBase bytes (two names of 64 characters of two or three bytes),
// INDEX keeps its first bytes and ends in "@@" and 16 hex digits of a hash
// of ix ("@@" appears in no encoded name).
//
// Index files are disposable: the file of an index whose name has a '.'
// or '@', made by a blitz before this naming, is not looked for any more,
// and the index is rebuilt from the data at open, like a missing one; the
// old file is left for blitz check to report.
func IndexFileName(table, ix string) string {
	enc := ix
	if strings.ContainsAny(ix, "@.") {
		enc = strings.NewReplacer("@", "@0040", ".", "@002e").Replace(ix)
	}
	if len(table)+1+len(enc) > maxIndexBase {
		sum := sha256.Sum256([]byte(ix))
		tag := "@@" + hex.EncodeToString(sum[:8])
		keep := max(maxIndexBase-len(table)-1-len(tag), 0)
		for keep > 0 && keep < len(enc) && !utf8.RuneStart(enc[keep]) {
			keep--
		}
		enc = enc[:min(keep, len(enc))] + tag
	}
	return table + "." + enc + indexSuffix
}

// isIndexFileOf reports whether the file name n is the file of one of
// table's indexes, or its checksum sidecar (see IndexFileName).
func isIndexFileOf(n, table string) bool {
	rest, ok := strings.CutPrefix(n, table+".")
	if !ok {
		return false
	}
	ix, ok := strings.CutSuffix(strings.TrimSuffix(rest, ".sum"), indexSuffix)
	return ok && ix != "" && !strings.Contains(ix, ".")
}
