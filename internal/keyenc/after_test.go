package keyenc

import (
	"bytes"
	"testing"
)

// TestIntAfter: an "int after" element sorts after v and every tuple
// starting with v, before v+1, by x among its kind, and decodes back.
func TestIntAfter(t *testing.T) {
	ordered := [][]byte{
		AppendInt(nil, -1),
		AppendInt(nil, 41),
		AppendBytes(AppendInt(nil, 41), []byte("\xff\xff")), // (41, "\xff\xff")
		AppendIntAfter(nil, 41, 1),
		AppendNull(AppendIntAfter(nil, 41, 1)), // (41 after 1, NULL)
		AppendIntAfter(nil, 41, 2),
		AppendInt(nil, 42),
	}
	for i := 1; i < len(ordered); i++ {
		if bytes.Compare(ordered[i-1], ordered[i]) >= 0 {
			t.Errorf("element %d (%x) does not sort before element %d (%x)", i-1, ordered[i-1], i, ordered[i])
		}
	}
	vs, err := DecodeAll(AppendInt(AppendIntAfter(nil, -7, 99), 5))
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 || vs[0].Kind != KindInt || vs[0].I != -7 || !vs[0].After || vs[0].X != 99 || vs[1].I != 5 || vs[1].After {
		t.Errorf("decoded %+v", vs)
	}
	if _, err := DecodeAll(AppendIntAfter(nil, 3, 4)[:12]); err == nil {
		t.Error("a cut int after element decoded")
	}
}
