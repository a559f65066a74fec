package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"regexp"
	"strconv"
)

// Checksums of the JSON files of a database (table definitions, .def; view
// definitions, .view).
//
// encoding/json takes silently much of what damage does to such a file: a
// flipped byte in a key drops that member, invalid UTF-8 in a string
// becomes U+FFFD, a flipped digit is another number. So each file ends with
// one more member, "crc32c": 8 lower-case hex digits of the CRC-32C
// (Castagnoli) of the file's compact form (encoding/json's Compact: no
// whitespace outside strings) without that member. The compact form makes
// the checksum independent of indentation, so a copy that json.Marshal
// compacted (the definition a DDL record of the update log embeds) verifies
// too. Example end of a file:
//
//	  "written": "2026-11-24T13:24:40.402251756Z",
//	  "crc32c": "5a0c93e1"
//	}
//
// The member is optional: a file whose last member is neither named
// "crc32c" nor an 8-byte string (every file written before checksums, whose
// last member is "written", a 20-35 byte time) is read without the check;
// one damaged byte can neither make such a file look checksummed nor hide
// the checksum of one that is. Readers that do not know the member ignore
// it. A file edited by hand must lose its "crc32c" line (the error says
// so). The member must stay the last one written.

// fileCRCTable is the CRC-32C table of these checksums.
var fileCRCTable = crc32.MakeTable(crc32.Castagnoli)

// lastStringMember matches the last member of a compact JSON object when
// its value is a string, capturing the key and the value.
var lastStringMember = regexp.MustCompile(`,"([^"\\]*)":"([^"\\]*)"}$`)

// fileChecksum returns the "crc32c" value for the file that is v encoded,
// v's checksum member being empty (and omitted).
func fileChecksum(v any) (string, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%08x", crc32.Checksum(body, fileCRCTable)), nil
}

// verifyFileChecksum checks the "crc32c" member of the JSON file b if it
// has one. b must decode (the caller has decoded it).
func verifyFileChecksum(b []byte) error {
	var c bytes.Buffer
	if err := json.Compact(&c, bytes.TrimSpace(b)); err != nil {
		return err
	}
	m := lastStringMember.FindSubmatchIndex(c.Bytes())
	if m == nil || string(c.Bytes()[m[2]:m[3]]) != "crc32c" && m[5]-m[4] != 8 {
		return nil // written before checksums
	}
	hex := string(c.Bytes()[m[4]:m[5]])
	want, err := strconv.ParseUint(hex, 16, 32)
	if err != nil || len(hex) != 8 {
		return fmt.Errorf("checksum %q is not 8 hex digits", hex)
	}
	body := append(c.Bytes()[:m[0]:m[0]], '}')
	if got := crc32.Checksum(body, fileCRCTable); got != uint32(want) {
		return fmt.Errorf("checksum mismatch (stored %08x, computed %08x): the file changed after blitz wrote it (if you edited it by hand, remove its \"crc32c\" line)", want, got)
	}
	return nil
}
