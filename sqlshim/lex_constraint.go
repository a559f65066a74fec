package sqlshim

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
)

// Constraint clauses TiDB's parser does not read as MariaDB does, handled
// before it sees a CREATE TABLE or ALTER TABLE statement:
//
//   - ALTER TABLE ... ADD CONSTRAINT IF NOT EXISTS name, ADD [CONSTRAINT
//     [name]] UNIQUE [KEY | INDEX] IF NOT EXISTS name and DROP
//     CONSTRAINT IF EXISTS name, DROP FOREIGN KEY IF EXISTS name:
//     MariaDB's, which the parser refuses. The
//     IF [NOT] EXISTS is cut from the text and set on the parsed
//     specification again (applyConstraintIfs).
//   - CONSTRAINT [name] in a column definition (b INT CONSTRAINT c CHECK
//     (b > 0)): the parser takes it, MariaDB refuses it with 1064 (naming
//     what follows the name, or the CONSTRAINT itself in MODIFY and
//     CHANGE), and so does blitz.

// constraintIf is one IF [NOT] EXISTS cut from an ADD CONSTRAINT (drop
// false), DROP CONSTRAINT (drop true) or DROP FOREIGN KEY (foreign) of the
// named constraint.
type constraintIf struct {
	drop    bool
	foreign bool // DROP FOREIGN KEY IF EXISTS name
	name    string
}

// tableLevelWords begin a table-level element of a CREATE TABLE list, or
// what follows ADD in an ALTER TABLE that is not a column.
var tableLevelWords = map[string]bool{"CONSTRAINT": true, "PRIMARY": true, "UNIQUE": true, "KEY": true,
	"INDEX": true, "FULLTEXT": true, "SPATIAL": true, "FOREIGN": true, "CHECK": true, "PERIOD": true,
	"SYSTEM": true, "PARTITION": true, "IF": true}

// rewriteConstraintDDL applies the rules above to sql; any other statement
// comes back unchanged.
func rewriteConstraintDDL(sql string) (string, []constraintIf, error) {
	w, sure := leadingWord(sql)
	if sure && !strings.EqualFold(w, "CREATE") && !strings.EqualFold(w, "ALTER") {
		return sql, nil, nil
	}
	if !containsFold(sql, "CONSTRAINT") && !containsFold(sql, "EXISTS") {
		return sql, nil, nil
	}
	toks := tokenize(sql)
	from, to := columnListSpan(toks)
	if from < 0 {
		return sql, nil, nil
	}
	alter := strings.EqualFold(toks[0].text, "ALTER")
	match := matchParens(toks)
	word := func(i int, w string) bool {
		return i < to && toks[i].kind == 'w' && strings.EqualFold(toks[i].text, w)
	}
	var ifs []constraintIf
	var cuts [][2]int // byte ranges to delete
	// Each top-level element (a column or key of CREATE TABLE, a
	// specification of ALTER TABLE), in turn.
	for start := from; start < to; {
		end := start
		for end < to && toks[end].text != "," {
			if toks[end].text == "(" && match[end] > end {
				end = match[end]
			}
			end++
		}
		i := start
		column, modify := !alter, false
		if alter {
			// Skip the table name of the first specification.
			for i < end && !(toks[i].kind == 'w' && isSpecVerb(toks[i].text)) {
				i++
			}
			switch {
			case word(i, "ADD"):
				i++
				if word(i, "COLUMN") {
					i++
				}
				column = i < end && !(toks[i].kind == 'w' && tableLevelWords[strings.ToUpper(toks[i].text)])
				if word(i, "CONSTRAINT") && word(i+1, "IF") && word(i+2, "NOT") && word(i+3, "EXISTS") && i+4 < end {
					ifs = append(ifs, constraintIf{name: unquoteIdent(toks[i+4])})
					cuts = append(cuts, [2]int{toks[i+1].start, toks[i+4].start})
					break
				}
				// ADD [CONSTRAINT [name]] UNIQUE [KEY | INDEX] IF NOT
				// EXISTS name: the parser reads IF NOT EXISTS after KEY
				// and INDEX only.
				j := i
				if word(j, "CONSTRAINT") {
					j++
					if !word(j, "UNIQUE") {
						j++ // the constraint's name
					}
				}
				if word(j, "UNIQUE") {
					j++
					if word(j, "KEY") || word(j, "INDEX") {
						j++
					}
					if word(j, "IF") && word(j+1, "NOT") && word(j+2, "EXISTS") && j+3 < end {
						ifs = append(ifs, constraintIf{name: unquoteIdent(toks[j+3])})
						cuts = append(cuts, [2]int{toks[j].start, toks[j+3].start})
					}
				}
			case word(i, "DROP"):
				if word(i+1, "CONSTRAINT") && word(i+2, "IF") && word(i+3, "EXISTS") && i+4 < end {
					ifs = append(ifs, constraintIf{drop: true, name: unquoteIdent(toks[i+4])})
					cuts = append(cuts, [2]int{toks[i+2].start, toks[i+4].start})
				}
				if word(i+1, "FOREIGN") && word(i+2, "KEY") && word(i+3, "IF") && word(i+4, "EXISTS") && i+5 < end {
					ifs = append(ifs, constraintIf{drop: true, foreign: true, name: unquoteIdent(toks[i+5])})
					cuts = append(cuts, [2]int{toks[i+3].start, toks[i+5].start})
				}
			case word(i, "MODIFY"), word(i, "CHANGE"):
				column, modify = true, true
				i++
			}
		} else if toks[i].kind == 'w' && tableLevelWords[strings.ToUpper(toks[i].text)] {
			column = false
		}
		if column {
			for j := i + 1; j < end; j++ {
				if toks[j].text == "(" && match[j] > j {
					j = match[j]
					continue
				}
				if !word(j, "CONSTRAINT") {
					continue
				}
				if modify {
					return "", nil, syntaxError(sql, toks, j)
				}
				k := j + 1
				if k < end && (toks[k].kind == 'q' || toks[k].kind == 'w' && !constraintKindWords[strings.ToUpper(toks[k].text)]) {
					k++ // the name
				}
				return "", nil, syntaxError(sql, toks, k)
			}
		}
		start = end + 1
	}
	if len(cuts) == 0 {
		return sql, nil, nil
	}
	var b strings.Builder
	last := 0
	for _, c := range cuts {
		b.WriteString(sql[last:c[0]])
		last = c[1]
	}
	b.WriteString(sql[last:])
	return b.String(), ifs, nil
}

// constraintKindWords may follow CONSTRAINT directly, without a name.
var constraintKindWords = map[string]bool{"CHECK": true, "PRIMARY": true, "UNIQUE": true, "FOREIGN": true, "KEY": true, "REFERENCES": true}

// isSpecVerb reports whether w begins an ALTER TABLE specification that
// rewriteConstraintDDL looks into.
func isSpecVerb(w string) bool {
	switch strings.ToUpper(w) {
	case "ADD", "DROP", "MODIFY", "CHANGE", "ALTER", "RENAME", "ENGINE", "CONVERT", "ORDER", "FORCE":
		return true
	}
	return false
}

// applyConstraintIfs sets the IF [NOT] EXISTS that rewriteConstraintDDL
// cut from an ALTER TABLE on its parsed specifications, in order.
func applyConstraintIfs(node ast.StmtNode, ifs []constraintIf) {
	n, ok := node.(*ast.AlterTableStmt)
	if !ok {
		return
	}
	for _, spec := range n.Specs {
		if len(ifs) > 0 && ifs[0].foreign && spec.Tp == ast.AlterTableDropForeignKey && strings.EqualFold(spec.Name, ifs[0].name) {
			spec.IfExists = true
			ifs = ifs[1:]
			continue
		}
		if len(ifs) == 0 || ifs[0].foreign || spec.Constraint == nil || !strings.EqualFold(spec.Constraint.Name, ifs[0].name) {
			continue
		}
		switch {
		case spec.Tp == ast.AlterTableAddConstraint && !ifs[0].drop:
			spec.IfNotExists = true
		case spec.Tp == ast.AlterTableDropCheck && ifs[0].drop:
			spec.IfExists = true
		default:
			continue
		}
		ifs = ifs[1:]
	}
}
