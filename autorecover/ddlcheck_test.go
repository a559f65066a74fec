package autorecover

// The checks of the DDL torture (ddltorture_test.go): the recovered
// database read back as a model and compared with the acknowledged one.

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/sqlshim"
)

// table opens and that no row comes twice.
func readDState(db *engine.DB) (*dstate, error) {
	if d := db.DamagedTables(); len(d) > 0 {
		return nil, fmt.Errorf("damaged table definitions: %v", d)
	}
	st := &dstate{Tables: map[string]*dtable{}}
	for _, name := range db.Tables() {
		def, err := db.Table(name)
		if err != nil {
			return nil, fmt.Errorf("table %s: %v", name, err)
		}
		t := &dtable{Name: def.Name, CS: def.CrashSafe, Rows: map[int64]drow{}}
		for _, c := range def.Columns {
			dc := dcol{Name: c.Name, Type: c.Type.String()}
			if c.Type == engine.TypeVarChar {
				dc.Len = c.Length
			}
			t.Cols = append(t.Cols, dc)
		}
		for _, ix := range def.Indexes {
			t.Idx = append(t.Idx, didx{Name: ix.Name, Unique: ix.Unique, Cols: slices.Clone(ix.Columns)})
		}
		rows, err := scanRows(db, t, "")
		if err != nil {
			return nil, err
		}
		t.Rows = rows
		st.Tables[name] = t
	}
	return st, nil
}

// scanRows reads a table's rows through an index ("" is a full scan),
// checking each handle is the row's primary key and no row comes twice.
func scanRows(db *engine.DB, t *dtable, index string) (map[int64]drow, error) {
	tx, err := db.Begin(bg)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows := map[int64]drow{}
	err = tx.Scan(t.Name, engine.Scan{Index: index}, func(h engine.Handle, r engine.Row) (bool, error) {
		if len(r) != len(t.Cols) {
			return false, fmt.Errorf("%s: row %v has %d columns, the definition %d", t.Name, r, len(r), len(t.Cols))
		}
		id, ok := r[0].(int64)
		if !ok {
			return false, fmt.Errorf("%s: row %v: id is %T", t.Name, r, r[0])
		}
		dr := drow{}
		for i, v := range r {
			if v != nil {
				dr[t.Cols[i].Name] = fmt.Sprint(v)
			}
		}
		if _, dup := rows[id]; dup {
			return false, fmt.Errorf("%s: id %d comes twice (scan of %q)", t.Name, id, index)
		}
		if h2, _, ok, err := tx.Get(t.Name, []any{id}); err != nil || !ok || h2 != h {
			return false, fmt.Errorf("%s: row %d: scan handle %x, Get gives %x ok %v err %v", t.Name, id, h, h2, ok, err)
		}
		rows[id] = dr
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("scan %s through %q: %w", t.Name, index, err)
	}
	return rows, nil
}

func rowText(r drow, ok bool) string {
	if !ok {
		return "absent"
	}
	ks := make([]string, 0, len(r))
	for k := range r {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	var b strings.Builder
	for _, k := range ks {
		v := r[k]
		if len(v) > 24 {
			v = v[:24] + "…"
		}
		fmt.Fprintf(&b, "%s=%s ", k, v)
	}
	return "{" + strings.TrimSpace(b.String()) + "}"
}

// rowsDiff describes how got differs from want (at most a few lines).
func rowsDiff(want, got map[int64]drow) string {
	ids := map[int64]bool{}
	for id := range want {
		ids[id] = true
	}
	for id := range got {
		ids[id] = true
	}
	sorted := make([]int64, 0, len(ids))
	for id := range ids {
		sorted = append(sorted, id)
	}
	slices.Sort(sorted)
	var b strings.Builder
	n := 0
	for _, id := range sorted {
		w, wok := want[id]
		g, gok := got[id]
		if ws, gs := rowText(w, wok), rowText(g, gok); ws != gs {
			if n++; n > 8 {
				b.WriteString("  ...\n")
				break
			}
			fmt.Fprintf(&b, "  id %d: want %s, got %s\n", id, ws, gs)
		}
	}
	return b.String()
}

// effectOf says which of the models before and after the operation in
// flight got equals exactly: "before", "after", "either" (the operation
// changed nothing), or "partial" (a plain table holds part of it).
func effectOf(before *dstate, op *dop, got *dstate) string {
	same := func(s *dstate) bool {
		if len(s.Tables) != len(got.Tables) {
			return false
		}
		for n, t := range s.Tables {
			g := got.Tables[n]
			if g == nil || g.defString() != t.defString() || rowsDiff(t.Rows, g.Rows) != "" {
				return false
			}
		}
		return true
	}
	b, a := same(before), op != nil && same(before.apply(op))
	switch {
	case b && a:
		return "either"
	case b:
		return "before"
	case a:
		return "after"
	}
	return "partial"
}

// checkDState compares the recovered database got with the model before
// the operation in flight (op, nil if none) and the model after it, and
// returns the model the next round starts from.
func checkDState(before *dstate, op *dop, got *dstate) (*dstate, error) {
	cands := []*dstate{before}
	if op != nil {
		cands = append(cands, before.apply(op))
	}
	defsOf := func(s *dstate) string {
		var b strings.Builder
		for _, n := range s.names() {
			b.WriteString(s.Tables[n].defString() + "\n")
		}
		return b.String()
	}
	var match []*dstate
	for _, c := range cands {
		if defsOf(c) == defsOf(got) {
			match = append(match, c)
		}
	}
	if len(match) == 0 {
		msg := "the tables and definitions are neither the model's"
		if op != nil {
			msg += " nor those after the operation in flight"
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%s:\ngot:\n%s", msg, defsOf(got))
		for _, c := range cands {
			fmt.Fprintf(&b, "candidate:\n%s", defsOf(c))
		}
		return nil, fmt.Errorf("%s", b.String())
	}
	for _, name := range got.names() {
		g := got.Tables[name]
		if g.CS {
			var diffs []string
			ok := false
			for _, c := range match {
				d := rowsDiff(c.Tables[name].Rows, g.Rows)
				if d == "" {
					ok = true
					break
				}
				diffs = append(diffs, d)
			}
			if !ok {
				return nil, fmt.Errorf("crash-safe table %s lost acknowledged changes or holds part of the one in flight (candidates: %d):\n%s", name, len(match), strings.Join(diffs, "--\n"))
			}
			continue
		}
		// A plain table: each row as one of the candidates has it.
		ids := map[int64]bool{}
		for id := range g.Rows {
			ids[id] = true
		}
		for _, c := range match {
			for id := range c.Tables[name].Rows {
				ids[id] = true
			}
		}
		var bad []string
		for id := range ids {
			gr, gok := g.Rows[id]
			gs := rowText(gr, gok)
			var wants []string
			ok := false
			for _, c := range match {
				wr, wok := c.Tables[name].Rows[id]
				ws := rowText(wr, wok)
				if ws == gs {
					ok = true
				}
				wants = append(wants, ws)
			}
			if !ok {
				bad = append(bad, fmt.Sprintf("  id %d: got %s, want %s", id, gs, strings.Join(wants, " or ")))
			}
		}
		if len(bad) > 0 {
			sort.Strings(bad)
			if len(bad) > 8 {
				bad = append(bad[:8], "  ...")
			}
			return nil, fmt.Errorf("plain table %s lost acknowledged writes:\n%s", name, strings.Join(bad, "\n"))
		}
	}
	return got, nil
}

// checkDTables runs CHECK TABLE on every table through SQL, compares every
// index scan with the full scan, and looks rows up by u and g through SQL.
func checkDTables(db *engine.DB, st *dstate, rng *rand.Rand) error {
	s := sqlshim.NewSession(db)
	defer s.Close()
	for _, name := range st.names() {
		t := st.Tables[name]
		res, err := s.ExecOne(bg, "CHECK TABLE "+name, nil)
		if err != nil {
			return fmt.Errorf("CHECK TABLE %s: %v", name, err)
		}
		for _, r := range res.Rows {
			if fmt.Sprint(r[2]) != "status" || fmt.Sprint(r[3]) != "OK" {
				return fmt.Errorf("CHECK TABLE %s: %v", name, res.Rows)
			}
		}
		if st, err := db.Status(name); err != nil || st.Crashed {
			return fmt.Errorf("%s after AutoRecover: crashed %v, err %v", name, st.Crashed, err)
		}
		ixs := []string{"PRIMARY"}
		for _, ix := range t.Idx {
			ixs = append(ixs, ix.Name)
		}
		for _, ix := range ixs {
			got, err := scanRows(db, t, ix)
			if err != nil {
				return err
			}
			if d := rowsDiff(t.Rows, got); d != "" {
				return fmt.Errorf("%s: the scan through %s differs from the full scan:\n%s", name, ix, d)
			}
		}
		// Lookups through SQL: by u (the unique index) for a few rows, and
		// counts by g (the non-unique one).
		ids := make([]int64, 0, len(t.Rows))
		for id := range t.Rows {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for i := 0; i < 5 && len(ids) > 0; i++ {
			r := t.Rows[ids[rng.Intn(len(ids))]]
			u, ok := r["u"]
			if !ok {
				continue
			}
			res, err := s.ExecOne(bg, fmt.Sprintf("SELECT id FROM %s WHERE u = '%s'", name, u), nil)
			if err != nil || len(res.Rows) != 1 || fmt.Sprint(res.Rows[0][0]) != r["id"] {
				return fmt.Errorf("%s: SELECT id WHERE u = '%s': %v, err %v, want id %s", name, u, res.Rows, err, r["id"])
			}
		}
		for g := 0; g < 16; g += 5 {
			want := 0
			for _, r := range t.Rows {
				if r["g"] == strconv.Itoa(g) {
					want++
				}
			}
			res, err := s.ExecOne(bg, fmt.Sprintf("SELECT COUNT(*) FROM %s WHERE g = %d", name, g), nil)
			if err != nil || len(res.Rows) != 1 || fmt.Sprint(res.Rows[0][0]) != strconv.Itoa(want) {
				return fmt.Errorf("%s: SELECT COUNT(*) WHERE g = %d: %v, err %v, want %d", name, g, res.Rows, err, want)
			}
		}
	}
	return nil
}

// strayFiles reports the files of dir, a cleanly closed database, that
// belong to no table of st: leftovers of DDL a crash cut short that the
// open that followed should have settled. Those the design leaves for
// blitz check to report (a data file or an index file no definition
// names, a *.tmp of an atomic write: command_check.go, strayFiles) are
// allowed.
func strayFiles(dir string, st *dstate) error {
	want := map[string]bool{"LOCK": true, "wal": true}
	for _, t := range st.Tables {
		want[t.Name+".def"], want[t.Name+".bdf"] = true, true
		for _, ix := range t.Idx {
			want[t.Name+"."+ix.Name+".bix"] = true
		}
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var stray []string
	for _, e := range ents {
		n := e.Name()
		if strings.HasSuffix(n, ".tmp") || strings.HasSuffix(n, ".bix") || strings.HasSuffix(n, ".bix.sum") ||
			strings.HasSuffix(n, ".bdf") && !want[n] && !want[strings.TrimSuffix(n, ".bdf")+".def"] {
			continue
		}
		if !want[n] && !want[strings.TrimSuffix(n, ".sum")] {
			stray = append(stray, n)
		}
	}
	if len(stray) > 0 {
		return fmt.Errorf("files no table owns: %v", stray)
	}
	return nil
}

// checkDDLRestore restores the torture's backup plus its update log (in
// root) and compares the result with want, the database as recovered
// last: the same tables and definitions, and the same rows but for those
// whose id is in loose (written by a statement in flight at a kill). It
// returns how many rows differ.
func checkDDLRestore(root string, want *dstate, loose map[int64]bool) (int, error) {
	dir := filepath.Join(root, "restored")
	if _, err := engine.Restore(dir, filepath.Join(root, "backup"), engine.RestoreOptions{ULogDir: ddlULogDir(filepath.Join(root, "db"))}); err != nil {
		return 0, err
	}
	db, err := engine.Open(dir, engine.Options{})
	if err != nil {
		return 0, err
	}
	defer db.Close()
	got, err := readDState(db)
	if err != nil {
		return 0, err
	}
	if g, w := strings.Join(got.names(), " "), strings.Join(want.names(), " "); g != w {
		return 0, fmt.Errorf("tables %s, the database has %s", g, w)
	}
	differ := 0
	for _, n := range want.names() {
		wt, gt := want.Tables[n], got.Tables[n]
		if g, w := gt.defString(), wt.defString(); g != w {
			return 0, fmt.Errorf("table %s: definition\n%s\nthe database has\n%s", n, g, w)
		}
		ids := map[int64]bool{}
		for id := range wt.Rows {
			ids[id] = true
		}
		for id := range gt.Rows {
			ids[id] = true
		}
		for id := range ids {
			wr, wok := wt.Rows[id]
			gr, gok := gt.Rows[id]
			if wok == gok && sameRow(wr, gr) {
				continue
			}
			if !loose[id] {
				return 0, fmt.Errorf("table %s: row %d is %s, the database has %s\n%s", n, id, rowText(gr, gok), rowText(wr, wok), rowsDiff(wt.Rows, gt.Rows))
			}
			differ++
		}
	}
	return differ, nil
}

func sameRow(a, b drow) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
