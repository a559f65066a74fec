package sqlshim

import (
	"math"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
	"github.com/shopspring/decimal"
)

// This file holds the aggregate functions of GROUP BY (COUNT, SUM, AVG,
// MIN, MAX, GROUP_CONCAT, the variances): one group's running state, folded a
// row at a time, and its results.

// group accumulates the aggregates of one GROUP BY group.
type group struct {
	aggs  []*ast.AggregateFuncExpr
	fns   []string // each aggregate's function name, lower case
	state []aggState
	first engine.Row
	key   []any
}

// groupConcatMaxLen is group_concat_max_len: MariaDB's default, 1 MiB.
// Longer GROUP_CONCAT results are cut with warning 1260, which also bounds
// the memory one group's concatenation takes.
const groupConcatMaxLen = 1 << 20

type aggState struct {
	count    int64
	sum      any // int64/decimal/float64 running sum
	best     any // MIN/MAX
	seen     map[string]bool
	parts    []string // GROUP_CONCAT
	keys     [][]any  // GROUP_CONCAT ... ORDER BY: each part's sort key
	size     int      // GROUP_CONCAT: bytes in parts
	cutAt    int64    // GROUP_CONCAT: the row that took it past groupConcatMaxLen
	allFloat bool
	isum     int64 // SUM/AVG: integers not yet folded into sum (hasInt)
	hasInt   bool
	// The variances and standard deviations: the running mean and sum of
	// squared differences from it (Welford's recurrence, MariaDB's)
	// (allFloat: a DOUBLE or string argument makes the result a DOUBLE).
	mean, m2 float64
	// The largest declared scale of a DECIMAL argument (declaredScale),
	// and whether one involved a quotient: then SUM, MIN and MAX keep its
	// inner digits (exactDec), as AVG always does.
	scale int32
	exact bool
	bits  uint64 // BIT_AND, BIT_OR, BIT_XOR
}

// keepsQuotient are the aggregates that see a quotient argument with its
// inner digits, as MariaDB does: SUM(1/3) over two rows is 0.666666666
// inside, so SUM(1/3)*3 is 2.0000.
var keepsQuotient = map[string]bool{
	ast.AggFuncSum: true, ast.AggFuncAvg: true, ast.AggFuncMin: true, ast.AggFuncMax: true,
	ast.AggFuncVarPop: true, ast.AggFuncVarSamp: true, ast.AggFuncStddevPop: true, ast.AggFuncStddevSamp: true,
}

// exactResult is v, a SUM, MIN or MAX, as the group's result: an exactDec
// when a quotient was involved.
func (st *aggState) exactResult(v any) any {
	if d, ok := v.(decimal.Decimal); ok && st.exact {
		return exactDec{d, st.scale}
	}
	return v
}

// flushInt folds the integer part of a running SUM into sum.
func (st *aggState) flushInt() {
	if !st.hasInt {
		return
	}
	switch {
	case st.allFloat:
		st.sum = toFloat(st.sum) + float64(st.isum)
	case st.sum == nil:
		st.sum = decimal.NewFromInt(st.isum)
	default:
		st.sum = st.sum.(decimal.Decimal).Add(decimal.NewFromInt(st.isum))
	}
	st.isum, st.hasInt = 0, false
}

// addVariance folds v, the st.count-th value, into the running mean and
// sum of squares of VARIANCE and STDDEV, by the recurrence MariaDB uses (so
// that DOUBLE results agree to the last bit).
func (st *aggState) addVariance(v any) {
	switch v.(type) {
	case int64, uint64, decimal.Decimal:
	default:
		st.allFloat = true
	}
	f := toFloat(v)
	if st.count == 1 {
		st.mean, st.m2 = f, 0
		return
	}
	prev := st.mean
	st.mean = prev + (f-prev)/float64(st.count)
	st.m2 += (f - prev) * (f - st.mean)
}

// variance is the result of VAR_POP, VAR_SAMP (fn), STDDEV_POP or
// STDDEV_SAMP: NULL without rows (a sample needs two), a DOUBLE for DOUBLE
// or string arguments, else a DECIMAL with four digits more than the
// argument's scale, as MariaDB shows it.
func (st *aggState) variance(fn string) any {
	sample := fn == ast.AggFuncVarSamp || fn == ast.AggFuncStddevSamp
	if st.count == 0 || sample && st.count == 1 {
		return nil
	}
	v := 0.0
	switch {
	case st.count == 1:
	case sample:
		v = st.m2 / float64(st.count-1)
	default:
		v = st.m2 / float64(st.count)
	}
	if fn == ast.AggFuncStddevPop || fn == ast.AggFuncStddevSamp {
		v = math.Sqrt(v)
	}
	if st.allFloat {
		return v
	}
	return decimal.NewFromFloat(v).Round(min(st.scale+divPrecisionIncrement, 31))
}

// addBits folds v, the st.count-th value, into BIT_AND, BIT_OR or
// BIT_XOR (fn), as a 64-bit unsigned integer (MariaDB's type for them).
func (st *aggState) addBits(fn string, v any) {
	var u uint64
	switch n := v.(type) {
	case uint64:
		u = n
	case float64:
		u = uint64(int64(math.Round(n)))
	default:
		u = uint64(toInt(v))
	}
	switch {
	case fn == ast.AggFuncBitAnd && st.count == 1:
		st.bits = u
	case fn == ast.AggFuncBitAnd:
		st.bits &= u
	case fn == ast.AggFuncBitOr:
		st.bits |= u
	default:
		st.bits ^= u
	}
}

func newGroup(aggs []*ast.AggregateFuncExpr) *group {
	g := &group{aggs: aggs, state: make([]aggState, len(aggs)), fns: make([]string, len(aggs))}
	for i, a := range aggs {
		g.fns[i] = strings.ToLower(a.F) // once per group, not per row
	}
	return g
}

// add folds the row in ec into every aggregate.
func (g *group) add(ec *evalCtx) error {
	var scratch [4]any // the arguments of one aggregate: not kept past the loop body
	for i, a := range g.aggs {
		st := &g.state[i]
		fn := g.fns[i]
		if fn == ast.AggFuncCount && len(a.Args) == 1 {
			if v, ok := a.Args[0].(*test_driver.ValueExpr); ok && v.Datum.GetValue() != nil && !a.Distinct {
				st.count++ // COUNT(*) and COUNT(1)
				continue
			}
		}
		var vals []any
		if len(a.Args) <= len(scratch) {
			vals = scratch[:len(a.Args)]
		} else {
			vals = make([]any, len(a.Args))
		}
		null := false
		for j, arg := range a.Args {
			var v any
			var err error
			scale := int32(-1)
			if j == 0 && keepsQuotient[fn] {
				// The value with a quotient's inner digits (exact.go).
				v, scale, err = ec.exactOperand(arg)
			} else {
				v, err = ec.eval(arg)
			}
			if err != nil {
				return err
			}
			if d, isDec := v.(decimal.Decimal); isDec && j == 0 {
				st.scale = max(st.scale, declaredScale(d, scale))
				st.exact = st.exact || scale >= 0
			}
			vals[j] = v
			null = null || v == nil
		}
		if null && !jsonAggregate[fn] { // JSON_ARRAYAGG keeps NULLs (funcs_json.go)
			continue
		}
		if a.Distinct {
			if st.seen == nil {
				st.seen = map[string]bool{}
			}
			k := groupKey(collKeys(vals, ec.sortColls(a.Args)))
			if st.seen[k] {
				continue
			}
			st.seen[k] = true
		}
		v := vals[0]
		st.count++
		switch fn {
		case ast.AggFuncSum, ast.AggFuncAvg:
			if n, ok := v.(int64); ok && !st.allFloat {
				// Integers add up in an int64 until it would overflow.
				if s := st.isum + n; (n >= 0) == (s >= st.isum) {
					st.isum, st.hasInt = s, true
					break
				}
			}
			st.flushInt()
			switch n := v.(type) {
			case float64, string, []byte:
				st.sum = toFloat(st.sum) + toFloat(n)
				st.allFloat = true
			default:
				if st.allFloat {
					st.sum = toFloat(st.sum) + toFloat(n)
				} else if st.sum == nil {
					st.sum = toDecimal(n)
				} else {
					st.sum = st.sum.(decimal.Decimal).Add(toDecimal(n))
				}
			}
		case ast.AggFuncMin: // compareForSort: an ENUM by its index, as MariaDB does
			if st.best == nil || ec.compareArg(a, v, st.best) < 0 {
				st.best = v
			}
		case ast.AggFuncMax:
			if st.best == nil || ec.compareArg(a, v, st.best) > 0 {
				st.best = v
			}
		case ast.AggFuncGroupConcat:
			if st.size > groupConcatMaxLen {
				break // already cut (see results)
			}
			var b strings.Builder
			for j, p := range vals[:len(vals)-1] { // the last argument is the separator
				b.WriteString(toString(ec.textOf(a.Args[j], p)))
			}
			st.parts = append(st.parts, b.String())
			st.size += b.Len() + 1
			if st.size > groupConcatMaxLen {
				st.cutAt = st.count
			}
			if items, _ := groupConcatOrder(a); len(items) > 0 {
				key := make([]any, len(items))
				for j, it := range items {
					if pos, ok := positionRef(it.Expr); ok {
						// ORDER BY 2: GROUP_CONCAT's second argument.
						if pos < 1 || pos >= len(vals) {
							return errUnknownColumn(sprintf("%d", pos), "ORDER BY")
						}
						key[j] = vals[pos-1]
						continue
					}
					k, err := ec.eval(it.Expr)
					if err != nil {
						return err
					}
					key[j] = k
				}
				st.keys = append(st.keys, key)
			}
		case ast.AggFuncVarPop, ast.AggFuncVarSamp, ast.AggFuncStddevPop, ast.AggFuncStddevSamp:
			st.addVariance(v)
		case ast.AggFuncJsonArrayagg, ast.AggFuncJsonObjectAgg:
			ec.addJSONAgg(st, a, fn, vals)
		case ast.AggFuncBitAnd, ast.AggFuncBitOr, ast.AggFuncBitXor:
			st.addBits(fn, v)
		case ast.AggFuncCount:
		default:
			return errNotSupported("aggregate " + a.F)
		}
	}
	return nil
}

// results returns every aggregate's value for the group.
func (g *group) results(ec *evalCtx) map[*ast.AggregateFuncExpr]any {
	m := make(map[*ast.AggregateFuncExpr]any, len(g.aggs))
	for i, a := range g.aggs {
		st := &g.state[i]
		st.flushInt()
		switch strings.ToLower(a.F) {
		case ast.AggFuncCount:
			m[a] = st.count
		case ast.AggFuncSum:
			m[a] = st.exactResult(st.sum)
		case ast.AggFuncAvg:
			if st.count == 0 {
				m[a] = nil
			} else if f, ok := st.sum.(float64); ok {
				m[a] = f / float64(st.count)
			} else {
				// A quotient: AVG(a)*3 over 1, 1, 2 is 4.0000.
				q := decimalQuotient(st.sum.(decimal.Decimal), decimal.NewFromInt(st.count))
				m[a] = exactDec{q, min(st.scale+divPrecisionIncrement, maxDecimalScale)}
			}
		case ast.AggFuncMin, ast.AggFuncMax:
			m[a] = st.exactResult(st.best)
		case ast.AggFuncVarPop, ast.AggFuncVarSamp, ast.AggFuncStddevPop, ast.AggFuncStddevSamp:
			m[a] = st.variance(strings.ToLower(a.F))
		case ast.AggFuncJsonArrayagg, ast.AggFuncJsonObjectAgg:
			m[a] = jsonAggResult(st, strings.ToLower(a.F))
		case ast.AggFuncBitAnd:
			if st.count == 0 {
				m[a] = uint64(math.MaxUint64) // every bit, as MariaDB answers no rows
			} else {
				m[a] = st.bits
			}
		case ast.AggFuncBitOr, ast.AggFuncBitXor:
			m[a] = st.bits
		case ast.AggFuncGroupConcat:
			if st.parts == nil {
				m[a] = nil
			} else {
				sep := ","
				if len(a.Args) > 1 {
					if v, ok := a.Args[len(a.Args)-1].(*test_driver.ValueExpr); ok {
						sep = toString(v.Datum.GetValue())
					}
				}
				items, limit := groupConcatOrder(a)
				if len(items) > 0 && len(st.keys) == len(st.parts) {
					idx := make([]int, len(st.parts))
					for j := range idx {
						idx[j] = j
					}
					sort.SliceStable(idx, func(x, y int) bool {
						for k, it := range items {
							if c := compareForSort(st.keys[idx[x]][k], st.keys[idx[y]][k]); c != 0 {
								return c < 0 != it.Desc
							}
						}
						return false
					})
					sorted := make([]string, len(idx))
					for j, k := range idx {
						sorted[j] = st.parts[k]
					}
					st.parts = sorted
				}
				if limit != nil {
					// GROUP_CONCAT(... LIMIT offset, count): those parts
					// of the sorted list (none: '', not NULL).
					offset, count := ec.groupConcatLimit(limit)
					st.parts = st.parts[min(offset, int64(len(st.parts))):]
					st.parts = st.parts[:min(count, int64(len(st.parts)))]
				}
				out := strings.Join(st.parts, sep)
				if len(out) > groupConcatMaxLen {
					// MariaDB cuts the result at group_concat_max_len
					// with warning 1260; here the result is cut at a
					// character boundary.
					cut := groupConcatMaxLen
					for cut > 0 && !utf8.RuneStart(out[cut]) {
						cut--
					}
					out = out[:cut]
					ec.warning(sqlerr.ErrCutByGroupConcat, "Row %d was cut by GROUP_CONCAT()", max(st.cutAt, 1))
				}
				m[a] = out
			}
		}
	}
	return m
}
