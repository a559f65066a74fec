package server

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/blitzdb/blitz/internal/sqlerr"
)

// fakeBackend is a Backend with one table, kv(k BIGINT PRIMARY KEY, v
// VARCHAR), reached by a handful of fixed statements. It tests the
// protocol side without the SQL layer.
type fakeBackend struct {
	mu        sync.Mutex // protects following fields
	kv        map[int64]string
	sessions  int // open sessions
	rollbacks int // sessions closed with a transaction open
	closed    bool
}

func newFakeBackend() *fakeBackend { return &fakeBackend{kv: map[int64]string{}} }

func (b *fakeBackend) NewSession(ctx context.Context) (Session, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, fmt.Errorf("fake: closed")
	}
	b.sessions++
	return &fakeSession{b: b, autocommit: true}, nil
}

func (b *fakeBackend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.sessions != 0 {
		return fmt.Errorf("fake: closed with %d sessions open", b.sessions)
	}
	b.closed = true
	return nil
}

func (b *fakeBackend) Status() [][2]string {
	return [][2]string{{"Blitz_fake_commits", "7"}}
}

type fakeSession struct {
	b          *fakeBackend
	autocommit bool
	inTx       bool
	pending    map[int64]string // writes of the open transaction
}

func (s *fakeSession) InTransaction() bool { return s.inTx }
func (s *fakeSession) Autocommit() bool    { return s.autocommit }

func (s *fakeSession) Close() error {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	if s.inTx {
		s.b.rollbacks++
	}
	s.b.sessions--
	return nil
}

func (s *fakeSession) Prepare(ctx context.Context, query string) (Stmt, error) {
	if strings.Contains(query, "bad") {
		return nil, sqlerr.New(sqlerr.ErrParse, "You have an error in your SQL syntax near '%s' at line 1", query)
	}
	return &fakeStmt{s: s, query: query}, nil
}

type fakeStmt struct {
	s     *fakeSession
	query string
}

func (st *fakeStmt) NumParams() int    { return strings.Count(st.query, "?") }
func (st *fakeStmt) Columns() []Column { return nil }
func (st *fakeStmt) Close() error      { return nil }
func (st *fakeStmt) Exec(ctx context.Context, args []any) (*Result, error) {
	return st.s.Exec(ctx, st.query, args)
}

var (
	colK = Column{Name: "k", Table: "kv", Type: typeLonglong, Length: 20, Flags: flagNotNull | 2 /* PRI_KEY */}
	colV = Column{Name: "v", Table: "kv", Type: typeVarStr, Length: 1024}
)

func (s *fakeSession) Exec(ctx context.Context, query string, args []any) (*Result, error) {
	q := strings.ToLower(strings.TrimSpace(query))
	arg := func(i int) any {
		if i < len(args) {
			return args[i]
		}
		return nil
	}
	switch {
	case q == "select 1":
		return &Result{Columns: []Column{{Name: "1", Type: typeLonglong, Length: 1, Flags: flagNotNull | flagBinary}}, Rows: [][]any{{int64(1)}}}, nil
	case q == "begin" || q == "start transaction":
		s.inTx, s.pending = true, map[int64]string{}
		return &Result{}, nil
	case q == "commit":
		s.b.mu.Lock()
		for k, v := range s.pending {
			s.b.kv[k] = v
		}
		s.b.mu.Unlock()
		s.inTx, s.pending = false, nil
		return &Result{}, nil
	case q == "rollback":
		s.inTx, s.pending = false, nil
		return &Result{}, nil
	case q == "set autocommit = 0" || q == "set autocommit = 1":
		s.autocommit = q == "set autocommit = 1"
		return &Result{}, nil
	case q == "insert into kv values (?, ?)" || strings.HasPrefix(q, "insert into kv values ("):
		var k int64
		var v string
		if len(args) == 2 {
			k, _ = args[0].(int64)
			v = fmt.Sprint(arg(1))
		} else {
			inner := strings.TrimSuffix(strings.TrimPrefix(q, "insert into kv values ("), ")")
			ks, vs, _ := strings.Cut(inner, ",")
			k, _ = strconv.ParseInt(strings.TrimSpace(ks), 10, 64)
			v = strings.Trim(strings.TrimSpace(vs), "'")
		}
		s.b.mu.Lock()
		defer s.b.mu.Unlock()
		if _, dup := s.b.kv[k]; dup {
			return nil, sqlerr.New(sqlerr.ErrDupEntry, "Duplicate entry '%d' for key 'PRIMARY'", k)
		}
		if s.inTx {
			s.pending[k] = v
		} else {
			s.b.kv[k] = v
		}
		return &Result{AffectedRows: 1, LastInsertID: uint64(k)}, nil
	case q == "select k, v from kv where k = ?":
		k, _ := arg(0).(int64)
		s.b.mu.Lock()
		v, ok := s.b.kv[k]
		s.b.mu.Unlock()
		r := &Result{Columns: []Column{colK, colV}, Rows: [][]any{}}
		if ok {
			r.Rows = append(r.Rows, []any{k, v})
		}
		return r, nil
	case q == "select count(*) from kv":
		s.b.mu.Lock()
		n := len(s.b.kv)
		s.b.mu.Unlock()
		return &Result{Columns: []Column{{Name: "count(*)", Type: typeLonglong, Length: 21, Flags: flagNotNull | flagBinary}}, Rows: [][]any{{int64(n)}}}, nil
	case q == "select typed" || q == "select typed where ?":
		return typedResult(), nil
	case strings.HasPrefix(q, "sleep "):
		ms, _ := strconv.Atoi(q[len("sleep "):])
		select {
		case <-time.After(time.Duration(ms) * time.Millisecond):
			return &Result{Columns: []Column{{Name: "slept", Type: typeLonglong, Length: 21, Flags: flagBinary}}, Rows: [][]any{{int64(ms)}}}, nil
		case <-ctx.Done():
			return nil, sqlerr.New(sqlerr.ErrQueryInterrupted, "Query execution was interrupted")
		}
	case q == "warn":
		return &Result{Warnings: 2}, nil
	case strings.HasPrefix(q, "echo "):
		return &Result{Columns: []Column{{Name: "echo", Type: typeVarStr, Length: 1 << 20}}, Rows: [][]any{{query[5:]}}}, nil
	}
	return nil, sqlerr.New(sqlerr.ErrParse, "You have an error in your SQL syntax; check the manual that corresponds to your MariaDB server version for the right syntax to use near '%s' at line 1", query)
}

// typedResult is one row with a column of each kind a driver maps to its
// own Go type.
func typedResult() *Result {
	cols := []Column{
		{Name: "i", Type: 8, Length: 20},
		{Name: "u", Type: 8, Length: 20, Flags: flagUnsigned},
		{Name: "f", Type: 4, Length: 12, Decimals: 31},
		{Name: "d", Type: 5, Length: 22, Decimals: 31},
		{Name: "dec", Type: 246, Length: 12, Decimals: 2},
		{Name: "s", Type: 253, Length: 40},
		{Name: "b", Type: 253, Length: 10, Flags: flagBinary},
		{Name: "day", Type: 10, Length: 10},
		{Name: "ts", Type: 12, Length: 26, Decimals: 6},
		{Name: "n", Type: 3, Length: 11},
		{Name: "t", Type: 1, Length: 4},
		{Name: "j", Type: 245, Length: 1<<32 - 1},
	}
	row := []any{int64(-5), uint64(18446744073709551615), float64(float32(1.5)), 2.25, "12345.67", "héllo", []byte{0, 1, 2},
		time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), time.Date(2024, 2, 29, 13, 14, 15, 123456000, time.UTC), nil, int64(1), `{"a": 1}`}
	return &Result{Columns: cols, Rows: [][]any{row}}
}
