package engine

import (
	"strings"
	"sync"
	"sync/atomic"
)

// An ALTER TABLE that adds a column with a DEFAULT expression or touches
// a table with generated columns is two steps in the SQL layer: the new
// definition, then a transaction giving every row the computed values.
// The definition of the first step carries TableDef.Fill, and the SQL
// layer removes it after the second; a crash in between leaves it, and
// the SQL layer finishes the ALTER (PendingFills, ClaimFill). Without the
// mark such a crash left every row with NULL in the new column while
// CHECK TABLE found nothing wrong.

// fillState is what PendingFills needs: the tables being filled now and
// a cache of its answer, valid while the definitions (fk.gen) do not
// change.
type fillState struct {
	mu      sync.Mutex
	filling map[string]bool // lower-case table names claimed (ClaimFill)
	cache   atomic.Pointer[fillCache]
}

type fillCache struct {
	gen   uint64
	names []string
}

// PendingFills returns the tables whose definition has Fill set and that
// no ClaimFill holds: ALTERs a crash cut short, for the SQL layer to
// finish. It is cheap when the definitions have not changed since the
// last call (the SQL layer asks before every statement).
func (db *DB) PendingFills() []string {
	gen := db.fk.gen.Load()
	if c := db.fills.cache.Load(); c != nil && c.gen == gen {
		return c.names
	}
	var names []string
	ts := db.sortedTables()
	db.fills.mu.Lock()
	for _, t := range ts { // no table lock under db.mu
		if d := t.definition(); len(d.Fill) > 0 && !db.fills.filling[strings.ToLower(d.Name)] {
			names = append(names, d.Name)
		}
	}
	db.fills.mu.Unlock()
	db.fills.cache.Store(&fillCache{gen: gen, names: names})
	return names
}

// ClaimFill marks table name as being filled by the caller until release
// is called, so that PendingFills leaves it out; ok is false if another
// caller holds it.
func (db *DB) ClaimFill(name string) (release func(), ok bool) {
	k := strings.ToLower(name)
	db.fills.mu.Lock()
	defer db.fills.mu.Unlock()
	if db.fills.filling[k] {
		return nil, false
	}
	if db.fills.filling == nil {
		db.fills.filling = map[string]bool{}
	}
	db.fills.filling[k] = true
	db.defChanged()
	return func() {
		db.fills.mu.Lock()
		delete(db.fills.filling, k)
		db.fills.mu.Unlock()
		db.defChanged()
	}, true
}
