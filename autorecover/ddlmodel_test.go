package autorecover

// The model of the DDL torture (ddltorture_test.go): tables, their
// definitions and rows as the acknowledged statements leave them, and the
// statements the child picks.

import (
	"fmt"
	"math/rand"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// dcol is a column of the model: only what the torture varies.
type dcol struct {
	Name string `json:"name"`
	Type string `json:"type"` // engine.Type's name
	Len  int    `json:"len,omitempty"`
}

// didx is a secondary index of the model.
type didx struct {
	Name   string   `json:"name"`
	Unique bool     `json:"unique,omitempty"`
	Cols   []string `json:"cols"`
}

// drow is a row: column name to value text; a missing column is NULL.
type drow map[string]string

// dtable is a table of the model.
type dtable struct {
	Name string         `json:"name"`
	CS   bool           `json:"cs,omitempty"`
	Cols []dcol         `json:"cols"`
	Idx  []didx         `json:"idx"`
	Rows map[int64]drow `json:"rows"`
}

func (t *dtable) clone() *dtable {
	c := &dtable{Name: t.Name, CS: t.CS, Cols: slices.Clone(t.Cols), Rows: make(map[int64]drow, len(t.Rows))}
	for _, ix := range t.Idx {
		ix.Cols = slices.Clone(ix.Cols)
		c.Idx = append(c.Idx, ix)
	}
	for id, r := range t.Rows {
		c.Rows[id] = r // rows are never changed in place
	}
	return c
}

// defString is the table's definition as the checks compare it.
func (t *dtable) defString() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s cs=%v (", t.Name, t.CS)
	for _, c := range t.Cols {
		fmt.Fprintf(&b, "%s %s(%d), ", c.Name, c.Type, c.Len)
	}
	b.WriteString(")")
	for _, ix := range t.Idx {
		fmt.Fprintf(&b, " %s u=%v %v;", ix.Name, ix.Unique, ix.Cols)
	}
	return b.String()
}

func (t *dtable) col(name string) int {
	for i, c := range t.Cols {
		if c.Name == name {
			return i
		}
	}
	return -1
}

func (t *dtable) index(name string) int {
	for i, ix := range t.Idx {
		if ix.Name == name {
			return i
		}
	}
	return -1
}

func (t *dtable) indexed(col string) bool {
	for _, ix := range t.Idx {
		if slices.Contains(ix.Cols, col) {
			return true
		}
	}
	return false
}

// dstate is the model of the whole database, tables by name.
type dstate struct {
	Tables map[string]*dtable `json:"tables"`
}

func (s *dstate) clone() *dstate {
	c := &dstate{Tables: map[string]*dtable{}}
	for n, t := range s.Tables {
		c.Tables[n] = t.clone()
	}
	return c
}

// deff is the effect of a DML operation on one row.
type deff struct {
	ID  int64 `json:"id"`
	Del bool  `json:"del,omitempty"`
	Row drow  `json:"row,omitempty"`
}

// dop is one operation of the child: a transaction or autocommit DML
// statement on one table, or one DDL statement. The child prints it before
// running it ("B <json>") and "A <n>" once acknowledged.
type dop struct {
	N     int64    `json:"n"`
	SQL   []string `json:"sql"`
	Table string   `json:"table"`
	Eff   []deff   `json:"eff,omitempty"` // DML
	DDL   string   `json:"ddl,omitempty"` // DDL kind (see apply)
	Col   *dcol    `json:"col,omitempty"`
	After string   `json:"after,omitempty"` // add_col: after this column ("" appends)
	Def   string   `json:"def,omitempty"`   // add_col: the default's text
	Idx   *didx    `json:"idx,omitempty"`
	To    string   `json:"to,omitempty"`   // rename target, CTAS table
	CS    bool     `json:"cs,omitempty"`   // CTAS: crash-safe
	Subs  []*dop   `json:"subs,omitempty"` // "multi": the changes of one ALTER TABLE, in order
}

// apply returns the state after op (s is not changed).
func (s *dstate) apply(op *dop) *dstate {
	out := s.clone()
	t := out.Tables[op.Table]
	switch op.DDL {
	case "":
		for _, e := range op.Eff {
			if e.Del {
				delete(t.Rows, e.ID)
			} else {
				t.Rows[e.ID] = e.Row
			}
		}
	case "add_col":
		i := len(t.Cols)
		if op.After != "" {
			i = t.col(op.After) + 1
		}
		t.Cols = slices.Insert(t.Cols, i, *op.Col)
		for id, r := range t.Rows {
			nr := maps(r)
			nr[op.Col.Name] = op.Def
			t.Rows[id] = nr
		}
	case "drop_col":
		t.Cols = slices.Delete(t.Cols, t.col(op.Col.Name), t.col(op.Col.Name)+1)
		for id, r := range t.Rows {
			nr := maps(r)
			delete(nr, op.Col.Name)
			t.Rows[id] = nr
		}
	case "modify":
		t.Cols[t.col(op.Col.Name)] = *op.Col
	case "add_idx":
		t.Idx = append(t.Idx, *op.Idx)
	case "drop_idx":
		i := t.index(op.Idx.Name)
		t.Idx = slices.Delete(t.Idx, i, i+1)
	case "optimize", "force":
	case "truncate":
		t.Rows = map[int64]drow{}
	case "rename":
		delete(out.Tables, op.Table)
		t.Name = op.To
		out.Tables[op.To] = t
	case "swap": // RENAME TABLE t TO tmp, u TO t, tmp TO u: one statement
		u := out.Tables[op.To]
		t.Name, u.Name = op.To, op.Table
		out.Tables[op.Table], out.Tables[op.To] = u, t
	case "ctas":
		c := t.clone()
		c.Name, c.CS = op.To, op.CS
		c.Idx = []didx{{Name: "u_idx", Unique: true, Cols: []string{"u"}}}
		out.Tables[op.To] = c
	case "drop":
		delete(out.Tables, op.Table)
	case "multi":
		for _, sub := range op.Subs {
			out = out.apply(sub)
		}
	default:
		panic("unknown DDL " + op.DDL)
	}
	return out
}

func maps(r drow) drow {
	c := make(drow, len(r)+1)
	for k, v := range r {
		c[k] = v
	}
	return c
}

// names returns the sorted names of the state's tables.
func (s *dstate) names() []string {
	var ns []string
	for n := range s.Tables {
		ns = append(ns, n)
	}
	sort.Strings(ns)
	return ns
}

// genOp picks the next operation on st. About one in four is DDL.
func genOp(rng *rand.Rand, st *dstate, n int64, nextID, ver *int64) *dop {
	names := st.names()
	if rng.Intn(4) == 0 {
		if op := genDDL(rng, st, names); op != nil {
			op.N = n
			return op
		}
	}
	t := st.Tables[names[rng.Intn(len(names))]]
	op := &dop{N: n, Table: t.Name}
	newRow := func(id int64) drow {
		*ver++
		r := drow{"id": strconv.FormatInt(id, 10), "g": strconv.Itoa(rng.Intn(16)),
			"v": fmt.Sprintf("%d/%d/%s", id, *ver, strings.Repeat("x", rng.Intn(300)))}
		if rng.Intn(10) != 0 {
			r["u"] = fmt.Sprintf("u%d.%d", id, *ver)
		}
		for _, c := range t.Cols[4:] {
			if rng.Intn(5) != 0 {
				r[c.Name] = strconv.Itoa(rng.Intn(1000))
			}
		}
		return r
	}
	lit := func(r drow, c string) string {
		v, ok := r[c]
		switch {
		case !ok:
			return "NULL"
		case c == "u" || c == "v":
			return "'" + v + "'"
		}
		return v
	}
	touched := map[int64]drow{} // the rows as this operation leaves them (nil: deleted)
	cur := func(id int64) (drow, bool) {
		if r, ok := touched[id]; ok {
			return r, r != nil
		}
		r, ok := t.Rows[id]
		return r, ok
	}
	ids := make([]int64, 0, len(t.Rows))
	for id := range t.Rows {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	nstmt := 1
	if t.CS {
		nstmt = 1 + rng.Intn(4)
		op.SQL = append(op.SQL, "BEGIN")
	}
	// every row the statements may meet: the table's and those inserted
	// earlier in the transaction
	all := func() []int64 {
		out := slices.Clone(ids)
		for id, r := range touched {
			if _, ok := t.Rows[id]; !ok && r != nil {
				out = append(out, id)
			}
		}
		return out
	}
	for i := 0; i < nstmt; i++ {
		k := rng.Intn(20)
		if len(ids) < 40 {
			k = 0
		}
		switch {
		case k < 9 || len(ids) == 0: // insert
			id := *nextID
			*nextID++
			r := newRow(id)
			var cols, vals []string
			for _, c := range t.Cols {
				cols, vals = append(cols, c.Name), append(vals, lit(r, c.Name))
			}
			op.SQL = append(op.SQL, fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", t.Name, strings.Join(cols, ", "), strings.Join(vals, ", ")))
			touched[id] = r
		case k < 18: // one row by primary key: update, move or delete
			id := ids[rng.Intn(len(ids))]
			old, ok := cur(id)
			if !ok {
				continue
			}
			switch {
			case k < 14:
				r := maps(old)
				nr := newRow(id)
				r["v"] = nr["v"]
				set := []string{"v = " + lit(r, "v")}
				if rng.Intn(2) == 0 {
					r["g"] = nr["g"]
					set = append(set, "g = "+r["g"])
				}
				if rng.Intn(2) == 0 {
					delete(r, "u")
					if u, ok := nr["u"]; ok {
						r["u"] = u
					}
					set = append(set, "u = "+lit(r, "u"))
				}
				op.SQL = append(op.SQL, fmt.Sprintf("UPDATE %s SET %s WHERE id = %d", t.Name, strings.Join(set, ", "), id))
				touched[id] = r
			case k < 16:
				nid := *nextID
				*nextID++
				r := newRow(nid)
				var set []string
				for _, c := range t.Cols {
					set = append(set, c.Name+" = "+lit(r, c.Name))
				}
				op.SQL = append(op.SQL, fmt.Sprintf("UPDATE %s SET %s WHERE id = %d", t.Name, strings.Join(set, ", "), id))
				touched[id], touched[nid] = nil, r
			default:
				op.SQL = append(op.SQL, fmt.Sprintf("DELETE FROM %s WHERE id = %d", t.Name, id))
				touched[id] = nil
			}
		case k < 19: // several rows by g, through its index
			g := strconv.Itoa(rng.Intn(16))
			ng := strconv.Itoa(rng.Intn(16))
			op.SQL = append(op.SQL, fmt.Sprintf("UPDATE %s SET g = %s WHERE g = %s", t.Name, ng, g))
			for _, id := range all() {
				if r, ok := cur(id); ok && r["g"] == g {
					r = maps(r)
					r["g"] = ng
					touched[id] = r
				}
			}
		default:
			g := strconv.Itoa(rng.Intn(16))
			op.SQL = append(op.SQL, fmt.Sprintf("DELETE FROM %s WHERE g = %s", t.Name, g))
			for _, id := range all() {
				if r, ok := cur(id); ok && r["g"] == g {
					touched[id] = nil
				}
			}
		}
	}
	if t.CS {
		op.SQL = append(op.SQL, "COMMIT")
	}
	tids := make([]int64, 0, len(touched))
	for id := range touched {
		tids = append(tids, id)
	}
	slices.Sort(tids)
	for _, id := range tids {
		op.Eff = append(op.Eff, deff{ID: id, Del: touched[id] == nil, Row: touched[id]})
	}
	return op
}

// genDDL picks a DDL statement on st, or returns nil.
func genDDL(rng *rand.Rand, st *dstate, names []string) *dop {
	t := st.Tables[names[rng.Intn(len(names))]]
	op := &dop{Table: t.Name}
	var xcols []string // the added columns
	for _, c := range t.Cols[4:] {
		xcols = append(xcols, c.Name)
	}
	base := t.Name == "cs" || t.Name == "pl" || strings.HasSuffix(t.Name, "_r")
	switch k := rng.Intn(15); k {
	case 0: // ADD COLUMN, at the end (definition only) or in the middle (rebuild)
		if len(xcols) >= 3 {
			return nil
		}
		name := ""
		for i := 1; ; i++ {
			if name = fmt.Sprintf("x%d", i); t.col(name) < 0 {
				break
			}
		}
		op.DDL, op.Col, op.Def = "add_col", &dcol{Name: name, Type: "INT"}, strconv.Itoa(rng.Intn(100))
		q := fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s INT DEFAULT %s", t.Name, name, op.Def)
		if rng.Intn(2) == 0 {
			op.After = "v"
			if len(xcols) > 0 {
				op.After = xcols[rng.Intn(len(xcols))]
			}
			// Still after the four base columns: the child's rows keep them first.
			q += " AFTER " + op.After
		}
		op.SQL = []string{q}
	case 1: // DROP COLUMN (rebuild)
		var free []string
		for _, c := range xcols {
			if !t.indexed(c) {
				free = append(free, c)
			}
		}
		if len(free) == 0 {
			return nil
		}
		op.DDL, op.Col = "drop_col", &dcol{Name: free[rng.Intn(len(free))]}
		op.SQL = []string{fmt.Sprintf("ALTER TABLE %s DROP COLUMN %s", t.Name, op.Col.Name)}
	case 2, 3: // ADD INDEX / CREATE INDEX
		var cand []didx
		for _, c := range xcols {
			if t.index("ix_"+c) < 0 {
				cand = append(cand, didx{Name: "ix_" + c, Cols: []string{c}})
			}
		}
		if t.index("ug") < 0 {
			cand = append(cand, didx{Name: "ug", Unique: true, Cols: []string{"g", "id"}})
		}
		if len(cand) == 0 {
			return nil
		}
		ix := cand[rng.Intn(len(cand))]
		op.DDL, op.Idx = "add_idx", &ix
		uq := ""
		if ix.Unique {
			uq = "UNIQUE "
		}
		if k == 2 {
			op.SQL = []string{fmt.Sprintf("ALTER TABLE %s ADD %sINDEX %s (%s)", t.Name, uq, ix.Name, strings.Join(ix.Cols, ", "))}
		} else {
			op.SQL = []string{fmt.Sprintf("CREATE %sINDEX %s ON %s (%s)", uq, ix.Name, t.Name, strings.Join(ix.Cols, ", "))}
		}
	case 4: // DROP INDEX
		var cand []didx
		for _, ix := range t.Idx {
			if ix.Name != "u_idx" && ix.Name != "g_idx" {
				cand = append(cand, ix)
			}
		}
		if len(cand) == 0 {
			return nil
		}
		ix := cand[rng.Intn(len(cand))]
		op.DDL, op.Idx = "drop_idx", &ix
		if rng.Intn(2) == 0 {
			op.SQL = []string{fmt.Sprintf("DROP INDEX %s ON %s", ix.Name, t.Name)}
		} else {
			op.SQL = []string{fmt.Sprintf("ALTER TABLE %s DROP INDEX %s", t.Name, ix.Name)}
		}
	case 5: // MODIFY (rebuild): v's length, or an added column INT <-> BIGINT
		c := t.Cols[3]
		if len(xcols) > 0 && rng.Intn(2) == 0 {
			c = t.Cols[4+rng.Intn(len(xcols))]
		}
		var q string
		switch c.Type {
		case "VARCHAR":
			c.Len = 900 - c.Len // 400 <-> 500
			q = fmt.Sprintf("ALTER TABLE %s MODIFY %s VARCHAR(%d) NOT NULL", t.Name, c.Name, c.Len)
		case "INT":
			c.Type = "BIGINT"
			q = fmt.Sprintf("ALTER TABLE %s MODIFY %s BIGINT", t.Name, c.Name)
		default:
			c.Type = "INT"
			q = fmt.Sprintf("ALTER TABLE %s MODIFY %s INT", t.Name, c.Name)
		}
		op.DDL, op.Col, op.SQL = "modify", &c, []string{q}
	case 6:
		op.DDL, op.SQL = "optimize", []string{"OPTIMIZE TABLE " + t.Name}
	case 7:
		op.DDL, op.SQL = "force", []string{"ALTER TABLE " + t.Name + " FORCE"}
	case 8:
		if rng.Intn(3) != 0 {
			return nil // rows are slow to come back: not too often
		}
		op.DDL, op.SQL = "truncate", []string{"TRUNCATE TABLE " + t.Name}
	case 9: // RENAME TABLE t TO t_r, and back; or a swap of two base tables
		if !base {
			return nil
		}
		if rng.Intn(2) == 0 {
			for _, n := range names {
				if n != t.Name && (n == "cs" || n == "pl" || strings.HasSuffix(n, "_r")) {
					op.DDL, op.To = "swap", n
					op.SQL = []string{fmt.Sprintf("RENAME TABLE %s TO swap_tmp, %s TO %s, swap_tmp TO %s", t.Name, n, t.Name, n)}
					return op
				}
			}
		}
		op.DDL = "rename"
		if to, ok := strings.CutSuffix(t.Name, "_r"); ok {
			op.To = to
		} else {
			op.To = t.Name + "_r"
		}
		op.SQL = []string{fmt.Sprintf("RENAME TABLE %s TO %s", t.Name, op.To)}
	case 10, 11: // CREATE TABLE ... AS SELECT
		if len(names) >= 4 {
			return nil
		}
		to := ""
		for i := 1; ; i++ {
			if to = fmt.Sprintf("c%d", i); st.Tables[to] == nil {
				break
			}
		}
		op.DDL, op.To, op.CS = "ctas", to, rng.Intn(2) == 0
		opt := ""
		if op.CS {
			opt = " CRASH_SAFE"
		}
		op.SQL = []string{fmt.Sprintf("CREATE TABLE %s (PRIMARY KEY (id), UNIQUE KEY u_idx (u))%s AS SELECT * FROM %s", to, opt, t.Name)}
	case 12:
		if base {
			return nil
		}
		op.DDL, op.SQL = "drop", []string{"DROP TABLE " + t.Name}
	case 13, 14: // one ALTER TABLE of several changes, which must apply as one
		return genMultiAlter(rng, t, xcols)
	}
	return op
}

// genMultiAlter picks an ALTER TABLE of two or three changes of t, or
// returns nil.
func genMultiAlter(rng *rand.Rand, t *dtable, xcols []string) *dop {
	op := &dop{Table: t.Name, DDL: "multi"}
	var specs []string
	switch rng.Intn(3) {
	case 0: // a new column and its index, maybe the UNIQUE (g, id) too
		if len(xcols) >= 3 {
			return nil
		}
		name := ""
		for i := 1; ; i++ {
			if name = fmt.Sprintf("x%d", i); t.col(name) < 0 && t.index("ix_"+name) < 0 {
				break
			}
		}
		d := strconv.Itoa(rng.Intn(100))
		op.Subs = append(op.Subs, &dop{Table: t.Name, DDL: "add_col", Col: &dcol{Name: name, Type: "INT"}, Def: d},
			&dop{Table: t.Name, DDL: "add_idx", Idx: &didx{Name: "ix_" + name, Cols: []string{name}}})
		specs = append(specs, fmt.Sprintf("ADD COLUMN %s INT DEFAULT %s", name, d), fmt.Sprintf("ADD INDEX ix_%s (%s)", name, name))
		if t.index("ug") < 0 && rng.Intn(2) == 0 {
			op.Subs = append(op.Subs, &dop{Table: t.Name, DDL: "add_idx", Idx: &didx{Name: "ug", Unique: true, Cols: []string{"g", "id"}}})
			specs = append(specs, "ADD UNIQUE INDEX ug (g, id)")
		}
	case 1: // an added column with its indexes
		if len(xcols) == 0 {
			return nil
		}
		c := xcols[rng.Intn(len(xcols))]
		for _, ix := range t.Idx {
			if slices.Contains(ix.Cols, c) {
				if len(ix.Cols) > 1 {
					return nil
				}
				op.Subs = append(op.Subs, &dop{Table: t.Name, DDL: "drop_idx", Idx: &didx{Name: ix.Name}})
				specs = append(specs, "DROP INDEX "+ix.Name)
			}
		}
		op.Subs = append(op.Subs, &dop{Table: t.Name, DDL: "drop_col", Col: &dcol{Name: c}})
		specs = append(specs, "DROP COLUMN "+c)
	default: // v's length, and the UNIQUE (g, id) added or dropped
		c := t.Cols[3]
		c.Len = 900 - c.Len
		op.Subs = append(op.Subs, &dop{Table: t.Name, DDL: "modify", Col: &c})
		specs = append(specs, fmt.Sprintf("MODIFY v VARCHAR(%d) NOT NULL", c.Len))
		if t.index("ug") < 0 {
			op.Subs = append(op.Subs, &dop{Table: t.Name, DDL: "add_idx", Idx: &didx{Name: "ug", Unique: true, Cols: []string{"g", "id"}}})
			specs = append(specs, "ADD UNIQUE INDEX ug (g, id)")
		} else {
			op.Subs = append(op.Subs, &dop{Table: t.Name, DDL: "drop_idx", Idx: &didx{Name: "ug"}})
			specs = append(specs, "DROP INDEX ug")
		}
	}
	op.SQL = []string{fmt.Sprintf("ALTER TABLE %s %s", t.Name, strings.Join(specs, ", "))}
	return op
}

// readDState reads the whole database as a model: every table's
// definition and rows (by a full scan), checking as it goes that every
