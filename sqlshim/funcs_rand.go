package sqlshim

import (
	"math/rand/v2"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
)

// seededRand is the generator RAND(N) uses, MariaDB's: two 30-bit states
// mixed at each draw, so that RAND(1) gives 0.40540353712197724 on every
// server, as applications that seed it for repeatable samples expect.
type seededRand struct{ s1, s2 uint64 }

// randMax is the modulus of both states (2^30 - 1).
const randMax = 0x3FFFFFFF

func newSeededRand(seed int64) *seededRand {
	u := uint32(seed) // MariaDB seeds in 32-bit arithmetic, wrapping
	return &seededRand{s1: uint64(u*0x10001+55555555) % randMax, s2: uint64(u*0x10000001) % randMax}
}

// next is the next value in [0, 1).
func (r *seededRand) next() float64 {
	r.s1 = (r.s1*3 + r.s2) % randMax
	r.s2 = (r.s1 + r.s2 + 33) % randMax
	return float64(r.s1) / float64(randMax)
}

// randValue is RAND() or RAND(N). A constant N seeds one sequence per call
// site for the statement (each row draws the next value); any other N
// seeds afresh at each evaluation, as in MariaDB; NULL seeds with 0.
func (c *evalCtx) randValue(x *ast.FuncCallExpr, args []any) (any, error) {
	if len(args) == 0 {
		return rand.Float64(), nil
	}
	if err := argCount(x.FnName.O, x.Args, 0, 1); err != nil {
		return nil, err
	}
	seed := int64(0)
	if args[0] != nil {
		seed = toInt(args[0])
	}
	_, constant := x.Args[0].(*test_driver.ValueExpr)
	if !constant || c.x == nil {
		return newSeededRand(seed).next(), nil
	}
	r := c.x.rands[x]
	if r == nil {
		if c.x.rands == nil {
			c.x.rands = map[*ast.FuncCallExpr]*seededRand{}
		}
		r = newSeededRand(seed)
		c.x.rands[x] = r
	}
	return r.next(), nil
}
