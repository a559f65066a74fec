package autorecover

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/blitzdb/blitz/sqlshim"
)

// The DDL torture: a child process runs SQL statements through the
// database/sql driver (package sqlshim) on a CRASH_SAFE table and a plain
// one, each with a unique and a non-unique secondary index, interleaving
// DML with DDL that rewrites tables (ALTER TABLE ADD/DROP/MODIFY COLUMN,
// ADD/DROP INDEX, FORCE, OPTIMIZE, CREATE/DROP INDEX, TRUNCATE, RENAME
// TABLE, CREATE TABLE ... AS SELECT, DROP TABLE). Before each statement
// (or transaction) it prints what it is about to do, and after it an
// acknowledgement. The parent SIGKILLs it at a random moment (often just
// after it announced a DDL statement), reopens with AutoRecover and checks
// the database against the model the acknowledged operations imply:
//
//   - every table opens (none damaged, none crashed), and the set of
//     tables and their definitions (columns, types, indexes) are the model's,
//     or, for the statement in flight, what it would make of them: a DDL
//     statement is wholly in effect or not at all;
//   - a crash-safe table holds exactly the acknowledged rows (the
//     transaction in flight wholly or not at all);
//   - a plain table holds every acknowledged write too (engine: "an
//     acknowledged write survives a process crash"); the statement in
//     flight may have reached any subset of the rows it writes;
//   - CHECK TABLE answers OK, every index scan yields the rows of a full
//     scan, and SQL lookups by index agree with the model.

// Environment of the DDL torture child.
const (
	envDDLChild    = "BLITZ_DDL_TORTURE_CHILD_DIR"
	envDDLSeed     = "BLITZ_DDL_TORTURE_CHILD_SEED"
	envDDLModel    = "BLITZ_DDL_TORTURE_CHILD_MODEL" // the model file the parent wrote
	envDDLDeadline = "BLITZ_DDL_TORTURE_CHILD_SECS"
	// set: this process opens the database in that directory with
	// AutoRecover and closes it (the parent kills it meanwhile)
	envDDLRecoverChild = "BLITZ_DDL_TORTURE_RECOVER_DIR"
)

// ddlRecoverChildMain opens dir with AutoRecover and closes it.
func ddlRecoverChildMain(dir string) int {
	db, err := engine.Open(dir, engine.Options{AutoRecover: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child: recovery open:", err)
		return 3
	}
	if err := db.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "child: close after recovery:", err)
		return 3
	}
	fmt.Println("DONE")
	return 0
}

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

// baseCreate is the CREATE TABLE of the torture's two base tables.
func baseCreate(name string, cs bool) string {
	q := "CREATE TABLE " + name + " (id BIGINT NOT NULL PRIMARY KEY, u VARCHAR(40), g INT NOT NULL, v VARCHAR(400) NOT NULL, UNIQUE KEY u_idx (u), KEY g_idx (g))"
	if cs {
		q += " ENGINE = BLITZDB, CRASH_SAFE"
	}
	return q
}

// ddlChildMain is the DDL torture child (see the top of the file).
func ddlChildMain(dir string) int {
	seed, _ := strconv.ParseInt(os.Getenv(envDDLSeed), 10, 64)
	secs, _ := strconv.Atoi(os.Getenv(envDDLDeadline))
	if secs <= 0 {
		secs = 20
	}
	out := bufio.NewWriter(os.Stdout)
	fail := func(format string, args ...any) int {
		out.Flush()
		fmt.Fprintf(os.Stderr, "child: "+format+"\n", args...)
		return 3
	}
	st := &dstate{Tables: map[string]*dtable{}}
	if b, err := os.ReadFile(os.Getenv(envDDLModel)); err == nil {
		if err := json.Unmarshal(b, st); err != nil {
			return fail("model: %v", err)
		}
	} else if !os.IsNotExist(err) {
		return fail("model: %v", err)
	}
	rng := rand.New(rand.NewSource(seed))
	db, err := sql.Open("blitz", dir+"?auto_recover=true")
	if err != nil {
		return fail("open: %v", err)
	}
	defer db.Close()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		return fail("conn: %v", err)
	}
	exec := func(q string) error {
		_, err := conn.ExecContext(ctx, q)
		return err
	}
	if len(st.Tables) == 0 {
		return fail("no model in %s", os.Getenv(envDDLModel))
	}
	var nextID int64 = 1
	for _, t := range st.Tables {
		for id := range t.Rows {
			nextID = max(nextID, id+1)
		}
	}
	ver := seed % 1_000_000 * 100_000 // value versions: distinct from earlier rounds'
	fmt.Fprintln(out, "READY")
	out.Flush()
	deadline := time.Now().Add(time.Duration(secs) * time.Second)
	for n := int64(1); n <= 100_000 && time.Now().Before(deadline); n++ {
		op := genOp(rng, st, n, &nextID, &ver)
		b, _ := json.Marshal(op)
		fmt.Fprintf(out, "B %s\n", b)
		out.Flush()
		for _, q := range op.SQL {
			if err := exec(q); err != nil {
				exec("ROLLBACK")
				return fail("op %d: %s: %v", n, q, err)
			}
		}
		fmt.Fprintf(out, "A %d\n", n)
		out.Flush()
		st = st.apply(op)
	}
	conn.Close()
	if err := db.Close(); err != nil {
		return fail("close: %v", err)
	}
	fmt.Fprintln(out, "DONE")
	out.Flush()
	return 0
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
	case 9: // RENAME TABLE t TO t_r, and back
		if !base {
			return nil
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

// ddlTortureRounds is 10, or BLITZ_DDL_TORTURE.
func ddlTortureRounds(t *testing.T) int {
	if v := os.Getenv("BLITZ_DDL_TORTURE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("BLITZ_DDL_TORTURE=%q: want a round count", v)
		}
		return n
	}
	if testing.Short() {
		return 3
	}
	return 10
}

// TestKill9DDLTorture: see the top of the file. Each round starts a child
// on the same directory, kills it, reopens with AutoRecover, checks, and
// hands the recovered state to the next round as its model.
func TestKill9DDLTorture(t *testing.T) {
	rounds := ddlTortureRounds(t)
	seed := tortureSeed(t)
	rng := rand.New(rand.NewSource(seed))
	root := t.TempDir()
	dir := filepath.Join(root, "db")
	modelPath := filepath.Join(root, "model.json")
	model := createDDLTorture(t, dir, modelPath)
	start := time.Now()
	budget := time.Duration(rounds) * 4 * time.Second
	var acks, ddlAcks, inflightDDL, recoverKills int
	kinds := map[string]int{}            // DDL kind and effect of the statements in flight at the kill
	ddlDur := map[string]time.Duration{} // how long DDL statements take, by kind (a moving average)
	for round := 0; round < rounds; round++ {
		if time.Since(start) > 3*budget {
			t.Fatalf("round %d: over three times the time budget (%v)", round, budget)
		}
		c := startDDLChild(t, dir, modelPath, seed+int64(round)*7919, 20)
		select {
		case l, ok := <-c.lines:
			if !ok || l != "READY" {
				c.kill(t)
				t.Fatalf("round %d: child did not start: %q\n%s", round, l, c.stderr)
			}
		case <-time.After(30 * time.Second):
			c.kill(t)
			t.Fatalf("round %d: child not ready after 30 s\n%s", round, c.stderr)
		}
		// Kill either at a random moment of the k-th DDL statement (most
		// rounds), or after a random time. The moment is drawn from 0 to
		// 1.5 times how long statements of its kind took so far (as seen
		// from here), so that kills land before, inside and after the
		// statement's commit point.
		var lines []string
		ddlWanted := -1
		var delay time.Duration
		if rng.Intn(4) != 0 {
			ddlWanted = rng.Intn(6)
		} else {
			delay = time.Duration(rng.Intn(1500)) * time.Millisecond
		}
		timer := time.NewTimer(delay)
		if ddlWanted >= 0 {
			timer.Reset(10 * time.Second)
		}
		ddlSeen := 0
		var pendKind string // the DDL statement announced and not yet acknowledged
		var pendAt time.Time
	collect:
		for {
			select {
			case l, ok := <-c.lines:
				if !ok {
					break collect
				}
				lines = append(lines, l)
				if strings.HasPrefix(l, "A ") && pendKind != "" {
					d := time.Since(pendAt)
					if old, ok := ddlDur[pendKind]; ok {
						d = (old*3 + d) / 4
					}
					ddlDur[pendKind] = d
					pendKind = ""
				}
				if strings.HasPrefix(l, "B ") && strings.Contains(l, `"ddl":`) {
					var op dop
					json.Unmarshal([]byte(l[2:]), &op)
					pendKind, pendAt = op.DDL, time.Now()
					if ddlSeen == ddlWanted {
						base, ok := ddlDur[op.DDL]
						if !ok {
							base = 40 * time.Millisecond
						}
						// Half the kills anywhere in the statement, half
						// near its end, where the commit points are.
						d := rng.Int63n(int64(base)*3/2 + 1)
						if rng.Intn(2) == 0 {
							d = int64(base)*6/10 + rng.Int63n(int64(base)/2+1)
						}
						timer.Reset(time.Duration(d))
						ddlWanted = -1
					}
					ddlSeen++
				}
			case <-timer.C:
				break collect
			}
		}
		timer.Stop()
		lines = append(lines, c.kill(t)...)
		if strings.Contains(c.stderr.String(), "child:") {
			t.Fatalf("round %d: child failed:\n%s", round, c.stderr)
		}
		if p := os.Getenv("BLITZ_DDL_LOG"); p != "" { // every line of every round, to debug a failure
			f, err := os.OpenFile(p, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
			if err == nil {
				fmt.Fprintf(f, "ROUND %d\n%s\nKILLED\n", round, strings.Join(lines, "\n"))
				f.Close()
			}
		}
		var inflight *dop
		for _, l := range lines {
			switch {
			case strings.HasPrefix(l, "B "):
				var op dop
				if err := json.Unmarshal([]byte(l[2:]), &op); err != nil {
					t.Fatalf("round %d: bad line %q: %v", round, l, err)
				}
				inflight = &op
			case strings.HasPrefix(l, "A "):
				n, _ := strconv.ParseInt(l[2:], 10, 64)
				if inflight == nil || inflight.N != n {
					t.Fatalf("round %d: ack %d without its operation", round, n)
				}
				model = model.apply(inflight)
				acks++
				if inflight.DDL != "" {
					ddlAcks++
				}
				inflight = nil
			case l == "DONE":
			default:
				t.Fatalf("round %d: unexpected line %q", round, l)
			}
		}
		what := "nothing"
		if inflight != nil {
			what = fmt.Sprintf("%q", inflight.SQL)
			if inflight.DDL != "" {
				inflightDDL++
			}
		}

		if rng.Intn(3) == 0 {
			// A recovery killed too: a child opens the database with
			// AutoRecover and is killed at a random moment of it.
			rc := startChildEnv(t, envDDLRecoverChild+"="+dir)
			select {
			case <-rc.done:
			case <-time.After(time.Duration(rng.Intn(200)) * time.Millisecond):
			}
			rest := rc.kill(t)
			recovered := "killed during recovery"
			if len(rest) > 0 {
				recovered = "recovery finished before the kill"
			}
			what += "; then " + recovered
			if ev := os.Getenv("BLITZ_DDL_EVIDENCE"); ev != "" { // the directory as the killed recovery left it
				os.RemoveAll(ev)
				exec.Command("cp", "-a", dir, ev).Run()
			}
			if strings.Contains(rc.stderr.String(), "child:") {
				t.Fatalf("round %d: recovery child failed:\n%s", round, rc.stderr)
			}
			recoverKills++
		}
		if round == rounds/2 {
			// Once without AutoRecover: every definition reads, and each
			// table works or answers 1194 (never another error).
			db, err := engine.Open(dir, engine.Options{})
			if err != nil {
				t.Fatalf("round %d (in flight: %s): Open without AutoRecover: %v", round, what, err)
			}
			if d := db.DamagedTables(); len(d) > 0 {
				t.Errorf("round %d (in flight: %s): damaged definitions without AutoRecover: %v", round, what, d)
			}
			for _, name := range db.Tables() {
				tx, _ := db.Begin(bg)
				err := tx.Scan(name, engine.Scan{}, func(engine.Handle, engine.Row) (bool, error) { return true, nil })
				tx.Rollback()
				if err != nil && sqlerr.Code(err) != sqlerr.ErrCrashedTable {
					t.Errorf("round %d (in flight: %s): %s without AutoRecover: %v, want rows or error 1194", round, what, name, err)
				}
			}
			if err := db.Close(); err != nil {
				t.Fatalf("round %d: Close: %v", round, err)
			}
			if t.Failed() {
				t.FailNow()
			}
		}
		var logBuf strings.Builder
		db, err := engine.Open(dir, engine.Options{AutoRecover: true, Logger: slogTo(&logBuf)})
		if err != nil {
			t.Fatalf("round %d (seed %d, in flight: %s): Open with AutoRecover: %v", round, seed, what, err)
		}
		got, err := readDState(db)
		effect := ""
		if err == nil {
			effect = effectOf(model, inflight, got)
			got, err = checkDState(model, inflight, got)
		}
		if err == nil {
			err = checkDTables(db, got, rng)
		}
		if cerr := db.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("Close: %v", cerr)
		}
		if err == nil {
			err = strayFiles(dir, got)
		}
		if err != nil {
			t.Fatalf("round %d (seed %d), in flight: %s:\n%v\nrecovery log:\n%s", round, seed, what, err, logBuf.String())
		}
		model = got
		b, _ := json.Marshal(model)
		if err := os.WriteFile(modelPath, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if inflight != nil && inflight.DDL != "" {
			kinds[inflight.DDL+" "+effect]++
		}
		t.Logf("round %d: in flight %.120s (%s); tables %v", round, what, effect, model.names())
	}
	t.Logf("%d rounds, %d acknowledged operations (%d DDL), %d kills with DDL in flight, %d recoveries killed too, %v",
		rounds, acks, ddlAcks, inflightDDL, recoverKills, time.Since(start).Round(time.Millisecond))
	ks := make([]string, 0, len(kinds))
	for k := range kinds {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	var b strings.Builder
	for _, k := range ks {
		fmt.Fprintf(&b, " %s:%d", k, kinds[k])
	}
	t.Logf("DDL in flight at the kill, by kind and effect:%s", b.String())
	t.Logf("DDL durations seen (moving average): %v", ddlDur)
}

func startDDLChild(t *testing.T, dir, modelPath string, seed int64, secs int) *child {
	t.Helper()
	return startChildEnv(t, envDDLChild+"="+dir, envDDLSeed+"="+strconv.FormatInt(seed, 10),
		envDDLModel+"="+modelPath, envDDLDeadline+"="+strconv.Itoa(secs))
}

// slogTo is a logger writing recovery steps (level Info and above) to w.
func slogTo(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(&lockedWriter{w: w}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// createDDLTorture creates the torture's two base tables, and writes the
// model the first child starts from.
func createDDLTorture(t *testing.T, dir, modelPath string) *dstate {
	t.Helper()
	db, err := engine.Open(dir, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := sqlshim.NewSession(db)
	for _, name := range []string{"cs", "pl"} {
		if _, err := s.ExecOne(bg, baseCreate(name, name == "cs"), nil); err != nil {
			t.Fatalf("%s: %v", baseCreate(name, name == "cs"), err)
		}
	}
	s.Close()
	st, err := readDState(db)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(st)
	if err := os.WriteFile(modelPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return st
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
