package command

import (
	"bytes"
	"strings"
	"testing"
)

func TestRecoveryProgress(t *testing.T) {
	var buf bytes.Buffer
	if recoveryProgress(&buf) != nil {
		t.Fatal("a progress bar on a writer that is not a terminal")
	}
	p := newProgress(&buf)
	p("rebuild indexes of t", 0, 1000)
	p("rebuild indexes of t", 500, 1000)
	p("rebuild indexes of t", 1000, 1000)
	p("rebuild indexes of u", 10, 10)
	out := buf.String()
	for _, want := range []string{"rebuild indexes of t", "1000/1000", "rebuild indexes of u", "10/10"} {
		if !strings.Contains(out, want) {
			t.Fatalf("progress output lacks %q:\n%q", want, out)
		}
	}
}
