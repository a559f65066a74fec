package sqlshim

import (
	"encoding/json"
	"hash/maphash"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/pingcap/tidb/pkg/parser/ast"
)

// ANALYZE TABLE reads a table once and stores, beside its files, an
// estimate of the distinct values of every column and of every prefix of
// every index (T.stats, JSON). The join planner divides row counts by
// them to estimate how many rows an index lookup or a hash probe returns.
// The file is advisory and disposable: deleting it only makes the planner
// guess again.
//
// The estimates are kept up to date for free, from the table's live row
// count (the data file keeps it): a column set that was at least half
// distinct when analysed is taken to be key-like and to grow and shrink
// with the table; any other keeps its number of values (a status, a
// category, a foreign key into a table that does not grow with this one).
// Either way an estimate stays between 1 and the current row count. A new
// ANALYZE TABLE measures afresh, which matters only when a column changes
// its nature (a key-like column filling up with repeats).

const statsSuffix = ".stats"

// tableStats is the content of T.stats.
type tableStats struct {
	Columns  string           `json:"columns"` // the table's columns when analysed, "," separated
	Rows     int64            `json:"rows"`
	Distinct map[string]int64 `json:"distinct"` // key: lower-case column names joined by ","

	now int64 // the table's row count when the file was loaded (not stored)
}

// estimate is the distinct values of the column set key, scaled to the
// table's current row count (see the top of the file); 0 if unknown.
func (st *tableStats) estimate(key string) int64 {
	d := st.Distinct[key]
	if d <= 0 {
		return 0
	}
	if st.Rows > 0 && st.now != st.Rows && 2*d >= st.Rows {
		d = int64(math.Round(float64(d) * float64(st.now) / float64(st.Rows)))
	}
	return max(1, min(d, max(st.now, 1)))
}

// kmv estimates a number of distinct values from the k smallest hashes
// seen (exact below k).
type kmv struct {
	k    int
	hs   []uint64 // sorted, at most k
	seen map[uint64]bool
}

func newKMV(k int) *kmv { return &kmv{k: k, seen: map[uint64]bool{}} }

func (s *kmv) add(h uint64) {
	if s.seen[h] {
		return
	}
	if len(s.hs) == s.k && h >= s.hs[len(s.hs)-1] {
		return
	}
	i := sort.Search(len(s.hs), func(i int) bool { return s.hs[i] >= h })
	s.hs = append(s.hs, 0)
	copy(s.hs[i+1:], s.hs[i:])
	s.hs[i] = h
	s.seen[h] = true
	if len(s.hs) > s.k {
		delete(s.seen, s.hs[len(s.hs)-1])
		s.hs = s.hs[:len(s.hs)-1]
	}
}

func (s *kmv) estimate() int64 {
	if len(s.hs) < s.k {
		return int64(len(s.hs))
	}
	frac := float64(s.hs[len(s.hs)-1]) / math.MaxUint64
	return int64(float64(s.k-1) / frac)
}

func (x *execCtx) analyze(n *ast.AnalyzeTableStmt) (Result, error) {
	cols := textColumns("Table", "Op", "Msg_type", "Msg_text")
	rows := [][]any{}
	for _, tn := range n.TableNames {
		ti, err := x.table(tn, "")
		if err != nil {
			full := x.s.qualified(tn.Schema.O, tn.Name.O)
			rows = append(rows,
				[]any{full, "analyze", "Error", sqlerr.As(err).Message},
				[]any{full, "analyze", "status", "Operation failed"})
			continue
		}
		st, err := x.collectStats(ti)
		if err != nil {
			return Result{}, err
		}
		b, _ := json.Marshal(st)
		path := filepath.Join(x.s.owner(ti.name).Dir(), ti.name+statsSuffix)
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, b, 0o644); err != nil {
			return Result{}, internalf("writing %s: %v", path, err)
		}
		if err := os.Rename(tmp, path); err != nil {
			return Result{}, internalf("writing %s: %v", path, err)
		}
		rows = append(rows, []any{x.s.DBName + "." + ti.name, "analyze", "status", "OK"})
	}
	return Result{Columns: cols, Rows: rows}, nil
}

// collectStats reads ti once and estimates its distinct values.
func (x *execCtx) collectStats(ti *tableInfo) (*tableStats, error) {
	type target struct {
		key  string
		cols []int
		s    *kmv
	}
	var targets []*target
	seen := map[string]bool{}
	add := func(names []string) {
		var idx []int
		for _, n := range names {
			idx = append(idx, ti.column(n))
		}
		key := strings.ToLower(strings.Join(names, ","))
		if !seen[key] {
			seen[key] = true
			targets = append(targets, &target{key, idx, newKMV(2048)})
		}
	}
	for _, c := range ti.def.Columns {
		add([]string{c.Name})
	}
	idxs := [][]string{ti.def.PrimaryKey}
	for _, ix := range ti.def.Indexes {
		idxs = append(idxs, ix.Columns)
	}
	for _, cols := range idxs {
		for i := 2; i <= len(cols); i++ {
			add(cols[:i])
		}
	}
	seed := maphash.MakeSeed()
	var h maphash.Hash
	h.SetSeed(seed)
	st := &tableStats{Distinct: map[string]int64{}, Columns: columnList(ti.def)}
	var buf []byte
	err := x.tx.ScanRead(ti.name, engine.Scan{}, func(_ engine.Handle, r engine.Row) (bool, error) {
		st.Rows++
		if st.Rows&4095 == 0 {
			if err := x.ctx.Err(); err != nil {
				return false, err
			}
		}
		for _, t := range targets {
			buf = buf[:0]
			null := false
			for _, c := range t.cols {
				if r[c] == nil {
					null = true
				}
				buf = hashKey(buf, []any{r[c]})
			}
			if null {
				continue // NULL never matches an equality
			}
			h.Reset()
			h.Write(buf)
			t.s.add(h.Sum64())
		}
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	for _, t := range targets {
		st.Distinct[t.key] = max(1, min(t.s.estimate(), st.Rows))
	}
	return st, nil
}

// distinct returns ANALYZE TABLE's estimate of the distinct values of
// cols in table, 0 if there is none (or it is stale). js caches the
// statistics for the statement.
func (x *execCtx) distinct(js *joinScope, table string, cols []string) int64 {
	if len(cols) == 0 {
		return 0
	}
	key := strings.ToLower(table)
	st, ok := js.stats[key]
	if !ok {
		st = x.loadStats(table)
		if js.stats == nil {
			js.stats = map[string]*tableStats{}
		}
		js.stats[key] = st
	}
	if st == nil {
		return 0
	}
	return st.estimate(strings.ToLower(strings.Join(cols, ",")))
}

// dropStats deletes the statistics of table (dropped) of db. They are
// advisory: a failure only leaves a file loadStats may then ignore.
func (x *execCtx) dropStats(db *engine.DB, table string) {
	os.Remove(filepath.Join(db.Dir(), table+statsSuffix))
}

// renameStats moves the statistics of a table of db renamed from to to,
// or, without any, deletes a stale file under the new name.
func (x *execCtx) renameStats(db *engine.DB, from, to string) {
	dir := db.Dir()
	if err := os.Rename(filepath.Join(dir, from+statsSuffix), filepath.Join(dir, to+statsSuffix)); err != nil {
		x.dropStats(db, from)
		x.dropStats(db, to)
	}
}

// loadStats returns the statistics ANALYZE TABLE kept for table (in the
// directory of the database holding it: a temporary table's go with it),
// or nil if there are none that fit it.
func (x *execCtx) loadStats(table string) *tableStats {
	db := x.s.owner(table)
	b, err := os.ReadFile(filepath.Join(db.Dir(), table+statsSuffix))
	if err != nil {
		return nil
	}
	var st tableStats
	if json.Unmarshal(b, &st) != nil {
		return nil
	}
	if def, err := db.Table(table); err != nil || columnList(def) != st.Columns {
		return nil // the table was dropped and created again, or altered
	}
	cur, err := db.Status(table)
	if err != nil {
		return nil
	}
	st.now = cur.Rows
	return &st
}

func columnList(def *engine.TableDef) string {
	names := make([]string, len(def.Columns))
	for i, c := range def.Columns {
		names[i] = strings.ToLower(c.Name) + " " + c.Type.String()
	}
	return strings.Join(names, ",")
}
