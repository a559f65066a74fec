package jsondoc

import (
	"strconv"
	"strings"
)

// A Path is a parsed JSON path as MariaDB reads one:
//
//	[lax] $            the document
//	.key  ."any key"   a member (an unquoted key runs to the next . or [)
//	.*                 every member
//	[n]  [last]  [last-n]  [-n]  [n to m]  [*]   elements (by position from 0)
//	**                 the value and everything under it, at any depth
//
// An index step applied to a value that is not an array takes the value
// itself as a one-element array ($.a[0] is $.a when a is a scalar).
type Path struct {
	Steps []Step
	// Wild is set when a step can match more than one value (.*, [*],
	// a range, **): functions that write refuse such paths (4044), and
	// JSON_EXTRACT returns its matches as an array.
	Wild bool
}

// StepKind is what one path step selects.
type StepKind uint8

const (
	StepKey      StepKind = iota // .key
	StepAnyKey                   // .*
	StepIndex                    // [n], [last-n], [n to m]
	StepAnyIndex                 // [*]
	StepAnyDepth                 // **
)

// Step is one step of a path.
type Step struct {
	Kind StepKind
	Key  string // StepKey: the member name, decoded
	// StepIndex: the first and last positions, each counted from the
	// start or (FromEnd) back from the last element; a single index has
	// Lo == Hi.
	Lo, Hi               int
	LoFromEnd, HiFromEnd bool
}

// Path errors, MariaDB's codes.
const (
	ErrPathEOS    = 4041 // Unexpected end of JSON path
	ErrPathSyntax = 4042 // Syntax error in JSON path
	ErrPathDepth  = 4043 // Limit of 32 on JSON path depth is reached
)

// MaxPathDepth is MariaDB's limit on the steps of a path.
const MaxPathDepth = 32

// PathError is why a text is not a path, with the position MariaDB names.
type PathError struct {
	Code int
	Pos  int
}

// Message is the text of e for argument arg of function fn.
func (e *PathError) Message(arg int, fn string) string {
	switch e.Code {
	case ErrPathEOS:
		return "Unexpected end of JSON path in argument " + strconv.Itoa(arg) + " to function '" + fn + "'"
	case ErrPathDepth:
		return "Limit of " + strconv.Itoa(MaxPathDepth) + " on JSON path depth is reached in argument " + strconv.Itoa(arg) + " to function '" + fn + "' at position " + strconv.Itoa(e.Pos)
	}
	return "Syntax error in JSON path in argument " + strconv.Itoa(arg) + " to function '" + fn + "' at position " + strconv.Itoa(e.Pos)
}

// ParsePath parses a path.
func ParsePath(s string) (*Path, *PathError) {
	i := 0
	skip := func() {
		for i < len(s) && isJSONSpace(s[i]) {
			i++
		}
	}
	eos := &PathError{Code: ErrPathEOS}
	syntax := func() *PathError {
		if i >= len(s) {
			return eos
		}
		return &PathError{Code: ErrPathSyntax, Pos: i + 1}
	}
	skip()
	if strings.HasPrefix(s[i:], "lax") && i+3 < len(s) && isJSONSpace(s[i+3]) {
		i += 3
		skip()
	}
	if i >= len(s) {
		return nil, eos
	}
	if s[i] != '$' {
		return nil, syntax()
	}
	i++
	p := &Path{}
	for i < len(s) {
		if len(p.Steps) == MaxPathDepth {
			return nil, &PathError{Code: ErrPathDepth, Pos: i}
		}
		var st Step
		switch s[i] {
		case '.':
			i++
			if i >= len(s) {
				return nil, eos
			}
			switch s[i] {
			case '*':
				st.Kind = StepAnyKey
				i++
			case '"':
				end := i + 1
				for end < len(s) && s[end] != '"' {
					if s[end] == '\\' {
						end++
					}
					end++
				}
				if end >= len(s) {
					return nil, eos
				}
				st.Key = Unescape(s[i+1 : end])
				i = end + 1
			default:
				end := i
				for end < len(s) && s[end] != '.' && s[end] != '[' {
					end++
				}
				if end == i {
					return nil, syntax()
				}
				st.Key = s[i:end]
				i = end
			}
		case '[':
			i++
			skip()
			if i >= len(s) {
				return nil, eos
			}
			if s[i] == '*' {
				st.Kind = StepAnyIndex
				i++
			} else {
				st.Kind = StepIndex
				var err *PathError
				if st.Lo, st.LoFromEnd, err = pathIndex(s, &i); err != nil {
					return nil, err
				}
				st.Hi, st.HiFromEnd = st.Lo, st.LoFromEnd
				skip()
				if strings.HasPrefix(s[i:], "to") && i+2 < len(s) && isJSONSpace(s[i+2]) {
					i += 2
					skip()
					if st.Hi, st.HiFromEnd, err = pathIndex(s, &i); err != nil {
						return nil, err
					}
					p.Wild = true
				}
			}
			skip()
			if i >= len(s) {
				return nil, eos
			}
			if s[i] != ']' {
				return nil, syntax()
			}
			i++
		case '*':
			if i+1 >= len(s) || s[i+1] != '*' {
				i++
				return nil, syntax()
			}
			i += 2
			if i >= len(s) {
				return nil, &PathError{Code: ErrPathSyntax, Pos: i + 1}
			}
			if s[i] != '.' && s[i] != '[' {
				return nil, &PathError{Code: ErrPathSyntax, Pos: i + 2}
			}
			st.Kind = StepAnyDepth
		default:
			return nil, syntax()
		}
		if st.Kind != StepKey && st.Kind != StepIndex {
			p.Wild = true
		}
		p.Steps = append(p.Steps, st)
	}
	return p, nil
}

// pathIndex reads n, last, last-n or -n at s[*i].
func pathIndex(s string, i *int) (n int, fromEnd bool, err *PathError) {
	syntax := func() *PathError {
		if *i >= len(s) {
			return &PathError{Code: ErrPathEOS}
		}
		return &PathError{Code: ErrPathSyntax, Pos: *i + 1}
	}
	if strings.HasPrefix(s[*i:], "last") {
		*i += 4
		j := *i
		for j < len(s) && isJSONSpace(s[j]) {
			j++
		}
		if j >= len(s) || s[j] != '-' {
			return 0, true, nil
		}
		*i = j + 1
		for *i < len(s) && isJSONSpace(s[*i]) {
			*i++
		}
		fromEnd = true
	} else if *i < len(s) && s[*i] == '-' {
		*i++
		fromEnd = true
		n = -1 // -1 is the last element: last-0
	}
	start := *i
	for *i < len(s) && s[*i] >= '0' && s[*i] <= '9' {
		*i++
	}
	if *i == start {
		return 0, false, syntax()
	}
	if s[start] == '0' && *i-start > 1 {
		return 0, false, &PathError{Code: ErrPathSyntax, Pos: *i}
	}
	v, perr := strconv.Atoi(s[start:*i])
	if perr != nil || v > 1<<30 {
		return 0, false, &PathError{Code: ErrPathSyntax, Pos: *i}
	}
	return n + v, fromEnd, nil
}

// resolve returns the position a StepIndex bound stands for in an array
// of n elements (it may be outside it).
func resolve(k int, fromEnd bool, n int) int {
	if fromEnd {
		return n - 1 - k
	}
	return k
}

// Find returns the values of doc that p selects, each once, in document
// order.
func (p *Path) Find(doc *Value) []*Value {
	var out []*Value
	seen := map[*Value]bool{}
	p.find(doc, 0, func(v *Value) {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	})
	if p.Wild && len(out) > 1 {
		order := map[*Value]int{}
		n := 0
		doc.walk(func(v *Value) { order[v] = n; n++ })
		sortByOrder(out, order)
	}
	return out
}

func sortByOrder(vs []*Value, order map[*Value]int) {
	for i := 1; i < len(vs); i++ {
		for j := i; j > 0 && order[vs[j]] < order[vs[j-1]]; j-- {
			vs[j], vs[j-1] = vs[j-1], vs[j]
		}
	}
}

// walk calls fn on v and every value under it, in document order.
func (v *Value) walk(fn func(*Value)) {
	fn(v)
	for _, it := range v.Items {
		it.walk(fn)
	}
}

// find calls fn on every value that p.Steps[k:] select from v. Under a
// ** step the same value can be reached again and again (through each of
// its ancestors): a value is taken on from each step once, so that
// several ** in a path cost no more than one walk each.
func (p *Path) find(v *Value, k int, fn func(*Value)) {
	var done map[stepVisit]bool
	var rec func(v *Value, k int)
	rec = func(v *Value, k int) {
		if k == len(p.Steps) {
			fn(v)
			return
		}
		st := p.Steps[k]
		if k > 0 && p.Steps[k-1].Kind == StepAnyDepth || st.Kind == StepAnyDepth {
			if done == nil {
				done = map[stepVisit]bool{}
			}
			if done[stepVisit{v, k}] {
				return
			}
			done[stepVisit{v, k}] = true
		}
		switch st.Kind {
		case StepKey:
			if v.Kind == Object {
				if m := v.Member(st.Key); m != nil {
					rec(m, k+1)
				}
			}
		case StepAnyKey:
			if v.Kind == Object {
				for _, it := range v.Items {
					rec(it, k+1)
				}
			}
		case StepAnyIndex:
			if v.Kind == Array {
				for _, it := range v.Items {
					rec(it, k+1)
				}
			}
		case StepIndex:
			items := v.Items
			if v.Kind != Array {
				// [0] (or a range from 0) of a value that is not an
				// array is the value itself.
				if st.Lo != 0 || st.LoFromEnd {
					return
				}
				items = []*Value{v}
			}
			lo := max(resolve(st.Lo, st.LoFromEnd, len(items)), 0)
			hi := min(resolve(st.Hi, st.HiFromEnd, len(items)), len(items)-1)
			for i := lo; i <= hi; i++ {
				rec(items[i], k+1)
			}
		case StepAnyDepth:
			v.walk(func(w *Value) { rec(w, k+1) })
		}
	}
	rec(v, k)
}

// stepVisit is a value reached at a step of a path.
type stepVisit struct {
	v *Value
	k int
}

// Exists reports whether p selects anything in doc.
func (p *Path) Exists(doc *Value) bool {
	found := false
	p.find(doc, 0, func(*Value) { found = true })
	return found
}

// WalkPaths calls fn on every value of doc in document order with its
// path as JSON_SEARCH prints it ($[0].key), and whether the value or one
// above it is in mark. It stops when fn returns true.
func WalkPaths(doc *Value, fn func(path string, v *Value, inside bool) (stop bool), mark map[*Value]bool) {
	walkPaths(doc, []byte{'$'}, false, fn, mark)
}

func walkPaths(v *Value, path []byte, inside bool, fn func(string, *Value, bool) bool, mark map[*Value]bool) bool {
	inside = inside || mark[v]
	if fn(string(path), v, inside) {
		return true
	}
	for i, it := range v.Items {
		p := path
		if v.Kind == Object {
			p = appendPathKey(p, v.Keys[i])
		} else {
			p = append(append(append(p, '['), strconv.Itoa(i)...), ']')
		}
		if walkPaths(it, p, inside, fn, mark) {
			return true
		}
	}
	return false
}

// appendPathKey appends .key to a path: the key as the document writes
// it, never quoted (MariaDB's JSON_SEARCH prints $.a b).
func appendPathKey(p []byte, key string) []byte {
	return append(append(p, '.'), key...)
}
