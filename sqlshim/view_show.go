package sqlshim

import (
	"sort"
	"strings"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/pingcap/tidb/pkg/parser/ast"
)

// What SHOW and information_schema say about views, with MariaDB's
// columns: SHOW CREATE VIEW (SHOW CREATE TABLE of a view answers the
// same), SHOW [FULL] TABLES and SHOW TABLE STATUS list views beside the
// tables, DESCRIBE and information_schema.COLUMNS give a view's columns
// with the types its query yields, information_schema.TABLES and VIEWS
// list them.

// viewShow answers the SHOW statements about one view; ok is false for
// anything else.
func (x *execCtx) viewShow(n *ast.ShowStmt) (Result, bool, error) {
	switch n.Tp {
	case ast.ShowCreateView, ast.ShowCreateTable, ast.ShowColumns, ast.ShowIndex:
	default:
		return Result{}, false, nil
	}
	if n.Table == nil || !x.isViewName(n.Table) {
		if n.Tp == ast.ShowCreateView {
			if n.Table != nil && !isInfoSchema(n.Table) {
				if _, err := x.tableDef(n.Table, true); err == nil {
					return Result{}, true, errf(sqlerr.ErrWrongObject, "'%s.%s' is not of type 'VIEW'", x.s.DBName, n.Table.Name.O)
				}
			}
			return Result{}, true, errNoTable(x.s.DBName, n.Table.Name.O)
		}
		return Result{}, false, nil
	}
	v, err := x.s.db.View(n.Table.Name.O)
	if err != nil {
		return Result{}, true, err
	}
	switch n.Tp {
	case ast.ShowColumns:
		ti, err := x.viewTableInfo(v)
		if err != nil {
			return Result{}, true, err
		}
		return describe(ti), true, nil
	case ast.ShowIndex:
		return showIndex(&tableInfo{name: v.Name, def: &engine.TableDef{Name: v.Name}}, nil), true, nil
	}
	return Result{Columns: textColumns("View", "Create View", "character_set_client", "collation_connection"),
		Rows: [][]any{{v.Name, createViewText(v), v.Charset, v.Collation}}}, true, nil
}

// viewSample returns the result columns of view v's query and its first
// row (nil if none): the types of expression columns come from their
// values, as for CREATE TABLE ... SELECT.
func (x *execCtx) viewSample(v *engine.ViewDef) ([]Column, []any, error) {
	var res Result
	_, err := x.s.autocommit(x, func() (Result, error) {
		var err error
		res, err = x.runViewLimit(v, 1)
		return Result{}, err
	})
	var row []any
	if len(res.Rows) > 0 {
		row = res.Rows[0]
	}
	return res.Columns, row, err
}

// viewTableInfo describes view v as a table without keys: its columns as
// its query yields them (types, NOT NULL), without defaults.
func (x *execCtx) viewTableInfo(v *engine.ViewDef) (*tableInfo, error) {
	cols, row, err := x.viewSample(v)
	if err != nil {
		return nil, err
	}
	def := &engine.TableDef{Name: v.Name}
	for i, c := range cols {
		var vals []any
		if row != nil {
			vals = row[i : i+1]
		}
		ec := ctasColumn(c, vals)
		ec.Name = c.Name
		def.Columns = append(def.Columns, ec)
	}
	return newTableInfo(def, ""), nil
}

// viewTableInfos describes every view (viewTableInfo) in name order,
// leaving out those that fail to run.
func (x *execCtx) viewTableInfos() []*tableInfo {
	var out []*tableInfo
	for _, name := range x.s.db.Views() {
		v, err := x.s.db.View(name)
		if err != nil {
			continue
		}
		ti, err := x.viewTableInfo(v)
		if err != nil {
			continue
		}
		out = append(out, ti)
	}
	return out
}

// relation is a table or view name for the listings.
type relation struct {
	name string
	view bool
}

// relations returns the tables and views, sorted by name. Those whose
// definition file is damaged are listed too, as MariaDB lists a table whose
// .frm it cannot read: the user sees them, and drops them.
func (x *execCtx) relations() []relation {
	var out []relation
	for _, t := range append(x.s.db.Tables(), x.s.db.DamagedTables()...) {
		out = append(out, relation{name: t})
	}
	for _, v := range append(x.s.db.Views(), x.s.db.DamagedViews()...) {
		out = append(out, relation{name: v, view: true})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// isViews is information_schema.VIEWS.
func (x *execCtx) isViews() Result {
	cols := textColumns(strings.Split(emptyInfoViews["views"], ",")...)
	rows := [][]any{}
	for _, name := range x.s.db.Views() {
		v, err := x.s.db.View(name)
		if err != nil {
			continue
		}
		check := v.CheckOption
		if check == "" {
			check = "NONE"
		}
		updatable := "NO"
		if x.viewUpdatable(v) {
			updatable = "YES"
		}
		definer := strings.ReplaceAll(strings.ReplaceAll(v.Definer, "`@`", "@"), "`", "")
		rows = append(rows, []any{"def", x.s.DBName, v.Name, v.Query, check, updatable, definer, v.Security, v.Charset, v.Collation, v.Algorithm})
	}
	return Result{Columns: cols, Rows: rows}
}
