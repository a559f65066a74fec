package sqlshim

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/blitzdb/blitz/internal/charset"
	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/shopspring/decimal"
)

// sleep is SLEEP(seconds): it returns 0 after the time; a statement
// interrupted while it sleeps (KILL QUERY, the mariadb client's Ctrl-C, a
// closed connection, shutdown) fails at once with error 1317, as in
// MariaDB 10.11 (MySQL's SLEEP returns 1 instead, and its client goes on
// with the next statement of a script where MariaDB's stops). It holds the
// statement's locks while it sleeps, as any statement does.
func (c *evalCtx) sleep(args []any) (any, error) {
	secs := 0.0
	if args[0] != nil {
		secs = toFloat(args[0])
	}
	if secs <= 0 || secs != secs {
		return int64(0), nil
	}
	d := time.Duration(min(secs, 365*24*3600) * float64(time.Second))
	if c.x == nil || c.x.ctx == nil {
		time.Sleep(d)
		return int64(0), nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return int64(0), nil
	case <-c.x.ctx.Done():
		return nil, errf(sqlerr.ErrQueryInterrupted, "Query execution was interrupted")
	}
}

// maxStringResult is the longest string a function builds: the
// max_allowed_packet that SELECT @@max_allowed_packet reports. A longer
// result is NULL with warning 1301, as in MariaDB, rather than an
// allocation the size of whatever number the query named.
const maxStringResult = 64 << 20

// tooLong reports whether a result of size bytes from function name is
// over maxStringResult, and if so adds the warning; in a strict INSERT or
// UPDATE it is error 1301 instead, as in MariaDB, so that a row never
// silently stores NULL for the value it was given.
func (c *evalCtx) tooLong(name string, size int64) (bool, error) {
	if size <= maxStringResult {
		return false, nil
	}
	const msg = "Result of %s() was larger than max_allowed_packet (%d) - truncated"
	if c.strict {
		return true, errf(sqlerr.ErrPacketOverflowed, msg, name, maxStringResult)
	}
	c.warning(sqlerr.ErrPacketOverflowed, msg, name, maxStringResult)
	return true, nil
}

// call evaluates a built-in function. Functions whose result is NULL when
// any argument is NULL say so with nullIn; the others (COALESCE, IFNULL,
// IF, CONCAT_WS, ...) look at their arguments themselves.
func (c *evalCtx) call(x *ast.FuncCallExpr) (any, error) {
	name := x.FnName.L
	// Functions that must not evaluate every argument first.
	switch name {
	case "if":
		branch, err := c.ifBranch(x)
		if err != nil {
			return nil, err
		}
		v, err := c.eval(branch)
		return c.inBranchType(x, v, x.Args[1:]), err // branchtype.go
	case "ifnull", "coalesce":
		if name == "ifnull" {
			if err := argCount(x.FnName.O, x.Args, 2, 2); err != nil {
				return nil, err
			}
		}
		for _, a := range x.Args {
			v, err := c.eval(a)
			if err != nil || v != nil {
				return c.inBranchType(x, v, x.Args), err
			}
		}
		return nil, nil
	case "date_add", "adddate", "date_sub", "subdate":
		return c.dateAdd(x, name == "date_sub" || name == "subdate")
	case "extract", "timestampadd", "timestampdiff":
		return c.unitFunc(x) // funcs_more.go
	case dateLiteralFn, timeLiteralFn, timestampLiteralFn:
		return c.temporalLiteral(x) // funcs_date.go
	case "convert": // CONVERT(expr USING charset); CONVERT(expr, type) is a cast
		return c.convertUsing(x) // funcs_more.go
	case "collation", "charset", "coercibility":
		return c.collationFunc(x) // collation_expr.go
	}
	if ar, ok := fixedArity[name]; ok {
		if err := argCount(x.FnName.O, x.Args, ar[0], ar[1]); err != nil {
			return nil, err
		}
	}
	args := make([]any, len(x.Args))
	for i, a := range x.Args {
		if _, ok := a.(*ast.TrimDirectionExpr); ok {
			continue
		}
		var v any
		var err error
		if i == 0 && exactArgument[name] {
			v, _, err = c.exactOperand(a)
		} else {
			v, err = c.eval(a)
		}
		if err != nil {
			return nil, err
		}
		if textArgument[name] {
			v = c.textOf(a, v)
		}
		args[i] = v
	}
	nullIn := func() bool {
		for i, a := range args {
			if _, dir := x.Args[i].(*ast.TrimDirectionExpr); a == nil && !dir {
				return true
			}
		}
		return false
	}
	want := func(lo, hi int) error { return argCount(x.FnName.O, x.Args, lo, hi) }
	if name == "datediff" && len(args) == 2 {
		if v, ok := c.fromDaysDiff(x, args); ok { // zerodate.go
			return v, nil
		}
	}
	if c.zeroDateArg(name, args) { // zerodate.go
		return nil, nil
	}
	switch name {
	case "last_insert_id":
		if len(args) == 1 {
			c.s.lastInsertID = uint64(toInt(args[0]))
			if c.x != nil {
				c.x.lastIDArg = true // the OK packet's insert id (exec_write.go)
			}
			return args[0], nil
		}
		return c.s.lastInsertID, nil
	case "version":
		return serverVersion, nil
	case "database", "schema":
		if c.s.noDB {
			return nil, nil // after DROP DATABASE of it (nodb.go)
		}
		return c.s.DBName, nil
	case "connection_id":
		return c.s.client.ID, nil
	case "user", "session_user", "system_user":
		return c.s.client.User + "@" + c.s.client.Host, nil
	case "current_user":
		return c.s.client.User + "@" + c.s.client.AccountHost, nil
	case "current_role":
		return nil, nil // blitz has no roles: MariaDB's NULL for none set
	case "sleep":
		if err := want(1, 1); err != nil {
			return nil, err
		}
		return c.sleep(args)
	case "get_lock", "release_lock", "is_free_lock", "is_used_lock", "release_all_locks":
		return c.userLockFunc(name, x, args) // userlock.go
	case "now", "current_timestamp", "sysdate", "localtime", "localtimestamp":
		if len(args) == 1 && args[0] != nil {
			return truncFrac(c.localNow(), toInt(args[0])), nil // NOW(n): n fractional digits
		}
		return c.localNow().Truncate(time.Second), nil
	case "curdate", "current_date":
		return c.localNow().Truncate(24 * time.Hour), nil
	case "utc_date":
		return c.now.Truncate(24 * time.Hour), nil
	case "rand":
		return c.randValue(x, args) // funcs_rand.go
	case "char_func":
		// CHAR(n, ... [USING charset]): the parser passes the charset (or
		// NULL) last. Each n gives its bytes, most significant first.
		if len(args) == 0 {
			return nil, nil
		}
		var b []byte
		for _, a := range args[:len(args)-1] {
			if a == nil {
				continue
			}
			n := uint32(toInt(a))
			var one []byte
			for ; n > 0; n >>= 8 {
				one = append([]byte{byte(n)}, one...)
			}
			if len(one) == 0 {
				one = []byte{0}
			}
			b = append(b, one...)
		}
		if cs, _ := args[len(args)-1].(string); cs != "" && !strings.EqualFold(cs, "binary") {
			if !utf8.Valid(b) {
				return nil, nil
			}
			return string(b), nil
		}
		return b, nil
	case "uuid":
		if err := want(0, 0); err != nil {
			return nil, err
		}
		return newUUID(c.now), nil
	case "pi":
		return math.Pi, nil
	case "quote":
		if err := want(1, 1); err != nil {
			return nil, err
		}
		if args[0] == nil {
			return "NULL", nil
		}
		return quoteFunc(toString(args[0])), nil
	case "nullif":
		if err := want(2, 2); err != nil {
			return nil, err
		}
		coll, err := c.argsColl(x, args)
		if err != nil {
			return nil, err
		}
		if args[0] != nil && args[1] != nil && cmpColl(args[0], args[1], coll) == 0 {
			return nil, nil
		}
		return args[0], nil
	case "isnull":
		if err := want(1, 1); err != nil {
			return nil, err
		}
		return boolVal(args[0] == nil), nil
	case "concat_ws":
		if err := want(1, -1); err != nil {
			return nil, err
		}
		if args[0] == nil {
			return nil, nil
		}
		var parts []string
		sep := toString(args[0])
		size := int64(0)
		for _, a := range args[1:] {
			if a != nil {
				parts = append(parts, toString(a))
				size += int64(len(parts[len(parts)-1]) + len(sep))
			}
		}
		if long, err := c.tooLong(name, size); long {
			return nil, err
		}
		return strings.Join(parts, sep), nil
	case "field":
		// FIELD(s, s1, s2, ...): the position of the first si equal to
		// s, 0 if none (or s is NULL); NULLs never match.
		if err := want(2, -1); err != nil {
			return nil, err
		}
		if args[0] == nil {
			return int64(0), nil
		}
		coll, err := c.argsColl(x, args)
		if err != nil {
			return nil, err
		}
		for i, a := range args[1:] {
			if a != nil && cmpColl(args[0], a, coll) == 0 {
				return int64(i + 1), nil
			}
		}
		return int64(0), nil
	case "row_count":
		if err := want(0, 0); err != nil {
			return nil, err
		}
		return c.s.rowCount, nil
	case "found_rows":
		if err := want(0, 0); err != nil {
			return nil, err
		}
		return c.s.foundRows, nil
	case "sha2":
		// SHA2(s, bits): a NULL bits is 0 (SHA-256), as in MariaDB.
		if err := want(2, 2); err != nil {
			return nil, err
		}
		if args[0] == nil {
			return nil, nil
		}
		b := []byte(c.inCharset(x.Args[0], toString(args[0]))) // a latin1 column's bytes are latin1's
		switch toInt(args[1]) {
		case 0, 256:
			sum := sha256.Sum256(b)
			return hex.EncodeToString(sum[:]), nil
		case 224:
			sum := sha256.Sum224(b)
			return hex.EncodeToString(sum[:]), nil
		case 384:
			sum := sha512.Sum384(b)
			return hex.EncodeToString(sum[:]), nil
		case 512:
			sum := sha512.Sum512(b)
			return hex.EncodeToString(sum[:]), nil
		}
		c.warning(errWrongParamsToFn, "Incorrect parameters in the call to native function 'sha2'")
		return nil, nil
	case "greatest", "least":
		if err := want(2, -1); err != nil {
			return nil, err
		}
		if nullIn() {
			return nil, nil
		}
		if mixesTextAndNumbers(args) {
			// Text beside a number compares as a number, and the result
			// is a DOUBLE: LEAST(1, 'a') is 0.
			nums := make([]any, len(args))
			for i, a := range args {
				c.warnNumericText(a, "DOUBLE")
				f := toFloat(a) // '1e999' is the largest DOUBLE
				nums[i] = max(min(f, math.MaxFloat64), -math.MaxFloat64)
			}
			return nums[extremeOf(name, nums, nil)], nil
		}
		coll, err := c.argsColl(x, args)
		if err != nil {
			return nil, err
		}
		// In the type of all arguments, as MariaDB: GREATEST(5, 1.5) is 5.0.
		return c.inBranchType(x, args[extremeOf(name, args, coll)], x.Args), nil
	}
	if v, ok, err := c.moreFunc(name, x, args); ok { // funcs_more.go
		return v, err
	}
	if v, ok, err := c.jsonCall(name, x, args); ok { // funcs_json.go: they handle NULL arguments
		return v, err
	}
	if nullIn() {
		return nil, nil
	}
	switch name {
	case "concat":
		if err := want(1, -1); err != nil {
			return nil, err
		}
		parts := make([]string, len(args))
		size, ascii := int64(0), true
		for i, a := range args {
			parts[i] = toString(a)
			size += int64(len(parts[i]))
			ascii = ascii && asciiLen(parts[i]) == len(parts[i])
		}
		if !ascii {
			// A literal the set of the others cannot hold is 1267.
			if err := c.checkLiterals(name, c.charsetOf(x), x.Args); err != nil {
				return nil, err
			}
		}
		if long, err := c.tooLong(name, size); long {
			return nil, err
		}
		return strings.Join(parts, ""), nil
	case "format":
		// FORMAT(x, d): x rounded to d decimals (0 to 30), with a comma
		// between each three digits of the integer part ('en_US').
		if err := want(2, 3); err != nil {
			return nil, err
		}
		d := int32(min(max(toInt(args[1]), 0), 30))
		txt := toDecimal(args[0]).Round(d).StringFixed(d)
		sign := ""
		if strings.HasPrefix(txt, "-") {
			sign, txt = "-", txt[1:]
		}
		intPart, frac, _ := strings.Cut(txt, ".")
		var b strings.Builder
		b.WriteString(sign)
		for i, c := range intPart {
			if i > 0 && (len(intPart)-i)%3 == 0 {
				b.WriteByte(',')
			}
			b.WriteRune(c)
		}
		if frac != "" {
			b.WriteByte('.')
			b.WriteString(frac)
		}
		return b.String(), nil
	case "length", "octet_length":
		if err := want(1, 1); err != nil {
			return nil, err
		}
		return int64(c.octets(x.Args[0], toString(args[0]))), nil
	case "char_length", "character_length":
		if err := want(1, 1); err != nil {
			return nil, err
		}
		return int64(utf8.RuneCountInString(toString(args[0]))), nil
	case "upper", "ucase":
		if c.charsetOf(x.Args[0]) == charset.Latin1 {
			return strings.Map(latin1Case(unicode.ToUpper), toString(args[0])), nil
		}
		return strings.ToUpper(toString(args[0])), nil
	case "lower", "lcase":
		if c.charsetOf(x.Args[0]) == charset.Latin1 {
			return strings.Map(latin1Case(unicode.ToLower), toString(args[0])), nil
		}
		return strings.ToLower(toString(args[0])), nil
	case "substring", "substr", "mid":
		if err := want(2, 3); err != nil {
			return nil, err
		}
		r := []rune(toString(args[0]))
		pos := saturatedInt(args[1])
		n := int64(len(r))
		if len(args) == 3 {
			n = saturatedInt(args[2])
		}
		var start int64
		switch {
		case pos > 0:
			start = pos - 1
		case pos < 0:
			start = int64(len(r)) + pos
		default:
			return "", nil
		}
		if start < 0 || start >= int64(len(r)) || n <= 0 {
			return "", nil
		}
		end := start + min(n, int64(len(r))-start) // (start+n may overflow)
		return string(r[start:end]), nil
	case "left", "right":
		r := []rune(toString(args[0]))
		n := max(min(saturatedInt(args[1]), int64(len(r))), 0)
		if name == "left" {
			return string(r[:n]), nil
		}
		return string(r[int64(len(r))-n:]), nil
	case "trim", "ltrim", "rtrim":
		return c.trim(name, x, args)
	case "replace":
		if err := want(3, 3); err != nil {
			return nil, err
		}
		s, from, to := toString(args[0]), toString(args[1]), toString(args[2])
		if from == "" {
			return s, nil
		}
		if len(to) > len(from) {
			if long, err := c.tooLong(name, int64(len(s))+int64(strings.Count(s, from))*int64(len(to)-len(from))); long {
				return nil, err
			}
		}
		return strings.ReplaceAll(s, from, to), nil
	case "substring_index":
		if err := want(3, 3); err != nil {
			return nil, err
		}
		return substringIndex(toString(args[0]), toString(args[1]), toInt(args[2])), nil
	case "md5", "sha1", "sha":
		if err := want(1, 1); err != nil {
			return nil, err
		}
		b := []byte(c.inCharset(x.Args[0], toString(args[0])))
		if name == "md5" {
			sum := md5.Sum(b)
			return hex.EncodeToString(sum[:]), nil
		}
		sum := sha1.Sum(b)
		return hex.EncodeToString(sum[:]), nil
	case "reverse":
		r := []rune(toString(args[0]))
		for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
			r[i], r[j] = r[j], r[i]
		}
		return string(r), nil
	case "repeat":
		s, n := toString(args[0]), toInt(args[1])
		if n <= 0 || s == "" {
			return "", nil
		}
		if n > maxStringResult/int64(len(s)) {
			_, err := c.tooLong(name, maxStringResult+1)
			return nil, err
		}
		return strings.Repeat(s, int(n)), nil
	case "space":
		n := toInt(args[0])
		if n <= 0 {
			return "", nil
		}
		if long, err := c.tooLong(name, n); long {
			return nil, err
		}
		return strings.Repeat(" ", int(n)), nil
	case "lpad", "rpad":
		if err := want(2, 3); err != nil {
			return nil, err
		}
		pad := []rune{' '} // LPAD(s, n) pads with spaces, as MariaDB 10.3+ does
		if len(args) == 3 {
			pad = []rune(toString(args[2]))
		}
		s := []rune(toString(args[0]))
		n := toInt(args[1])
		if n < 0 {
			return nil, nil
		}
		if int64(len(s)) >= n {
			return string(s[:n]), nil
		}
		if len(pad) == 0 {
			return nil, nil
		}
		if long, err := c.tooLong(name, n); long { // n characters are at least n bytes
			return nil, err
		}
		var fill strings.Builder
		for i := int64(len(s)); i < n; i++ {
			fill.WriteRune(pad[(i-int64(len(s)))%int64(len(pad))])
		}
		if name == "lpad" {
			return fill.String() + string(s), nil
		}
		return string(s) + fill.String(), nil
	case "instr":
		coll, err := c.compareColl("instr", x.Args...)
		if err != nil {
			return nil, err
		}
		return int64(collIndex(toString(args[0]), toString(args[1]), coll) + 1), nil
	case "locate", "position":
		if err := want(2, 3); err != nil {
			return nil, err
		}
		coll, err := c.compareColl("locate", x.Args[:2]...)
		if err != nil {
			return nil, err
		}
		s := []rune(toString(args[1]))
		from := int64(1)
		if len(args) == 3 {
			from = toInt(args[2])
		}
		if from < 1 || from > int64(len(s))+1 {
			return int64(0), nil
		}
		i := collIndex(string(s[from-1:]), toString(args[0]), coll)
		if i < 0 {
			return int64(0), nil
		}
		return int64(i) + from, nil
	case "ascii":
		s := c.inCharset(x.Args[0], toString(args[0]))
		if s == "" {
			return int64(0), nil
		}
		return int64(s[0]), nil
	case "strcmp":
		coll, err := c.compareColl("strcmp", x.Args...)
		if err != nil {
			return nil, err
		}
		if coll != nil {
			return int64(coll.Compare(toString(args[0]), toString(args[1]))), nil
		}
		return int64(compareStrings(toString(args[0]), toString(args[1]))), nil
	case "hex":
		if isNumeric(args[0]) {
			return strings.ToUpper(hexInt(uint64(toInt(args[0])))), nil
		}
		return strings.ToUpper(hex.EncodeToString([]byte(c.inCharset(x.Args[0], toString(args[0]))))), nil
	case "unhex":
		b, err := hex.DecodeString(toString(args[0]))
		if err != nil {
			return nil, nil
		}
		return b, nil
	case "abs":
		return c.absValue(x, args[0])
	case "sign":
		switch v := args[0].(type) {
		case decimal.Decimal:
			return int64(v.Sign()), nil
		}
		f := toFloat(args[0])
		switch {
		case f > 0:
			return int64(1), nil
		case f < 0:
			return int64(-1), nil
		}
		return int64(0), nil
	case "ceil", "ceiling", "floor":
		switch v := args[0].(type) {
		case int64, uint64:
			return v, nil
		case decimal.Decimal:
			if name == "floor" {
				return intOrDecimal(v.Floor()), nil
			}
			return intOrDecimal(v.Ceil()), nil
		}
		if name == "floor" {
			return math.Floor(toFloat(args[0])), nil
		}
		return math.Ceil(toFloat(args[0])), nil
	case "round", "truncate":
		if err := want(1, 2); err != nil {
			return nil, err
		}
		if name == "truncate" && len(args) != 2 {
			return nil, argCount(x.FnName.O, x.Args, 2, 2)
		}
		d := int64(0)
		if len(args) == 2 {
			d = toInt(args[1])
		}
		return roundValue(args[0], d, name == "truncate"), nil
	case "mod":
		return c.mod(args[0], args[1])
	case "power", "pow":
		v := math.Pow(toFloat(args[0]), toFloat(args[1]))
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return nil, c.outOfRange("DOUBLE", x)
		}
		return v, nil
	case "sqrt":
		f := toFloat(args[0])
		if f < 0 {
			return nil, nil
		}
		return math.Sqrt(f), nil
	case "exp":
		v := math.Exp(toFloat(args[0]))
		if math.IsInf(v, 0) {
			return nil, c.outOfRange("DOUBLE", x)
		}
		return v, nil
	case "ln", "log":
		if len(args) == 2 {
			b, v := toFloat(args[0]), toFloat(args[1])
			if b <= 0 || b == 1 || v <= 0 {
				return nil, nil
			}
			return math.Log(v) / math.Log(b), nil
		}
		f := toFloat(args[0])
		if f <= 0 {
			return nil, nil
		}
		return math.Log(f), nil
	case "log10", "log2":
		f := toFloat(args[0])
		if f <= 0 {
			return nil, nil
		}
		if name == "log2" {
			return math.Log2(f), nil
		}
		return math.Log10(f), nil
	case "date", "year", "month", "day", "dayofmonth", "hour", "minute", "second", "dayofweek", "dayofyear", "weekday", "unix_timestamp", "to_days":
		if len(args) == 0 && name == "unix_timestamp" { // UNIX_TIMESTAMP(): the statement's time
			return c.now.Unix(), nil
		}
		if err := want(1, 1); err != nil {
			return nil, err
		}
		v, err := c.timePart(name, args[0])
		if sec, ok := v.(int64); ok && name == "unix_timestamp" {
			// Of a DATETIME(n) or TIMESTAMP(n), a DECIMAL of n places.
			if sc := fracDigits(c.ti, x.Args[0]); sc > 0 {
				t, _ := toTime(args[0])
				return decimal.New(sec, 0).Add(decimal.New(int64(t.Nanosecond()), -9)).Truncate(int32(sc)), nil
			}
		}
		return v, err
	case "datediff":
		a, ok1 := toTime(args[0])
		b, ok2 := toTime(args[1])
		if !ok1 || !ok2 {
			return nil, nil
		}
		return dayNumber(a) - dayNumber(b), nil // no Duration: it would overflow past 292 years
	case "from_unixtime":
		if err := want(1, 2); err != nil {
			return nil, err
		}
		// MariaDB's range is that of a 32-bit TIMESTAMP: NULL outside
		// it. A fraction is kept to the microsecond, cut (1.5 is
		// 00:00:01.5), with as many digits shown as the argument's
		// type has (fromUnixtimeDecimals).
		var n, us int64
		switch a := args[0].(type) {
		case int64:
			n = a
		case uint64:
			n = int64(min(a, math.MaxInt32+1))
		default:
			d := toDecimal(args[0])
			if d.Sign() < 0 || d.GreaterThan(decimal.NewFromInt(math.MaxInt32+1)) {
				return nil, nil
			}
			n, us = d.IntPart(), d.Sub(d.Truncate(0)).Shift(6).IntPart()
		}
		if n < 0 || n > math.MaxInt32 {
			return nil, nil
		}
		// On the session's wall clock.
		t := time.Unix(n, us*1000).UTC().Add(c.zoneOff())
		if len(args) == 2 { // FROM_UNIXTIME(n, format)
			r, _ := dateFormat(fieldsOfTime(t), toString(args[1]))
			return r, nil
		}
		return t, nil
	case "last_day":
		if err := want(1, 1); err != nil {
			return nil, err
		}
		if p, ok := c.zeroDateParts(name, args[0]); ok {
			return p, nil
		}
		return c.lastDay(args[0]), nil
	case "str_to_date":
		if err := want(2, 2); err != nil {
			return nil, err
		}
		return c.strToDate(toString(args[0]), toString(args[1])), nil
	case "date_format":
		d, ok := c.dateFieldsOf(args[0])
		if !ok {
			return nil, nil
		}
		if r, ok := dateFormat(d, toString(args[1])); ok {
			return r, nil
		}
		return nil, nil
	}
	if v, ok, err := c.typeFunc(name, x, args); ok { // funcs_types.go
		return v, err
	}
	return nil, errf(errFuncNotExists, "FUNCTION %s.%s does not exist", c.s.DBName, x.FnName.O)
}

// exactArgument are the functions whose first argument, a quotient, they
// see with its inner digits (exactOperand) as MariaDB does: FLOOR(1/3*3) is
// 0, ROUND(1/3, 10) 0.3333333330. Their results have a scale of their own.
var exactArgument = map[string]bool{"round": true, "truncate": true, "floor": true, "ceil": true, "ceiling": true, "sign": true}

// quoteFunc is QUOTE(s): s in single quotes, with a backslash before
// each backslash and quote, NUL as \0 and Ctrl-Z as \Z, so that it reads
// back as the same string in a statement.
func quoteFunc(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; ch {
		case '\\', '\'':
			b.WriteByte('\\')
			b.WriteByte(ch)
		case 0:
			b.WriteString(`\0`)
		case 26:
			b.WriteString(`\Z`)
		default:
			b.WriteByte(ch)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// argCount checks the number of arguments of a native function (hi < 0:
// no upper limit).
// fixedArity is the least and most arguments (-1: any number) of the
// functions of call's switch that do not check their count there: a call
// with a wrong count is error 1582, as in MariaDB, where it used to read
// past the arguments (a panic, error 1105) or ignore the extra ones.
var fixedArity = map[string][2]int{
	"version": {0, 0}, "database": {0, 0}, "schema": {0, 0}, "connection_id": {0, 0}, "pi": {0, 0},
	"user": {0, 0}, "session_user": {0, 0}, "system_user": {0, 0}, "last_insert_id": {0, 1},
	"now": {0, 1}, "current_timestamp": {0, 1}, "sysdate": {0, 1}, "localtime": {0, 1}, "localtimestamp": {0, 1},
	"concat_ws": {2, -1}, "upper": {1, 1}, "ucase": {1, 1}, "lower": {1, 1}, "lcase": {1, 1}, "ltrim": {1, 1}, "rtrim": {1, 1},
	"reverse": {1, 1}, "space": {1, 1}, "ascii": {1, 1}, "hex": {1, 1}, "unhex": {1, 1},
	"abs": {1, 1}, "sign": {1, 1}, "ceil": {1, 1}, "ceiling": {1, 1}, "floor": {1, 1},
	"sqrt": {1, 1}, "exp": {1, 1}, "ln": {1, 1}, "log10": {1, 1}, "log2": {1, 1}, "log": {1, 2},
	"left": {2, 2}, "right": {2, 2}, "repeat": {2, 2}, "instr": {2, 2}, "strcmp": {2, 2},
	"pow": {2, 2}, "power": {2, 2}, "datediff": {2, 2}, "date_format": {2, 3},
}

func argCount(name string, args []ast.ExprNode, lo, hi int) error {
	if len(args) < lo || (hi >= 0 && len(args) > hi) {
		return errf(errWrongArgCount, "Incorrect parameter count in the call to native function '%s'", name)
	}
	return nil
}

// substringIndex is SUBSTRING_INDEX(s, delim, n): s up to the n-th delim
// counted from the left (n > 0), or after the n-th counted from the right
// (n < 0); all of s when it holds fewer, "" for n = 0 or an empty delim.
// Occurrences are those a left-to-right search finds ('aaa' holds one
// 'aa'), as in MariaDB.
func substringIndex(s, delim string, n int64) string {
	if n == 0 || delim == "" {
		return ""
	}
	if n > 0 {
		at := 0
		for ; n > 0; n-- {
			i := strings.Index(s[at:], delim)
			if i < 0 {
				return s
			}
			at += i + len(delim)
		}
		return s[:at-len(delim)]
	}
	var ends []int // where each occurrence ends
	for at := 0; ; {
		i := strings.Index(s[at:], delim)
		if i < 0 {
			break
		}
		at += i + len(delim)
		ends = append(ends, at)
	}
	if n < -int64(len(ends)) {
		return s
	}
	return s[ends[int64(len(ends))+n]:]
}

func runeIndex(s, sub string) int {
	i := strings.Index(s, sub)
	if i < 0 {
		return -1
	}
	return utf8.RuneCountInString(s[:i])
}

func hexInt(u uint64) string {
	const digits = "0123456789abcdef"
	if u == 0 {
		return "0"
	}
	var b []byte
	for u > 0 {
		b = append([]byte{digits[u%16]}, b...)
		u /= 16
	}
	return string(b)
}

func intOrDecimal(d decimal.Decimal) any {
	if d.BigInt().IsInt64() {
		return d.IntPart()
	}
	return d
}

// roundValue rounds (or truncates) v to d digits after the point; negative
// d rounds to the left of the point. Integers and decimals round half away
// from zero, doubles to nearest even as MySQL's rint does.
func roundValue(v any, d int64, trunc bool) any {
	d = max(min(d, 30), -30)
	switch x := v.(type) {
	case int64, uint64:
		if d >= 0 {
			return x
		}
		dec := toDecimal(x)
		if trunc {
			dec = dec.Truncate(int32(d))
		} else {
			dec = dec.Round(int32(d))
		}
		return intOrDecimal(dec)
	case decimal.Decimal:
		var r decimal.Decimal
		if trunc {
			r = x.Truncate(int32(d))
		} else {
			r = x.Round(int32(d))
		}
		if d > 0 {
			return decimal.RequireFromString(r.StringFixed(int32(d)))
		}
		return r
	}
	f := toFloat(v)
	p := math.Pow(10, float64(d))
	var r float64
	if trunc {
		r = math.Trunc(f*p) / p
	} else {
		r = math.RoundToEven(f*p) / p
	}
	if r == 0 {
		return 0.0 // ROUND(-0.25e0) is 0, not -0, as in MariaDB
	}
	return r
}

func (c *evalCtx) trim(name string, x *ast.FuncCallExpr, args []any) (any, error) {
	s := toString(args[0])
	if name != "trim" {
		if name == "ltrim" {
			return strings.TrimLeft(s, " "), nil
		}
		return strings.TrimRight(s, " "), nil
	}
	// TRIM([BOTH|LEADING|TRAILING] [remstr] FROM str) arrives as
	// (str, remstr, direction).
	rem := " "
	if len(args) >= 2 && args[1] != nil {
		rem = toString(args[1])
	}
	dir := ast.TrimBoth
	if len(x.Args) == 3 {
		if d, ok := x.Args[2].(*ast.TrimDirectionExpr); ok {
			dir = d.Direction
		}
	}
	if rem == "" {
		return s, nil
	}
	if dir != ast.TrimTrailing {
		for strings.HasPrefix(s, rem) {
			s = s[len(rem):]
		}
	}
	if dir != ast.TrimLeading {
		for strings.HasSuffix(s, rem) {
			s = s[:len(s)-len(rem)]
		}
	}
	return s, nil
}

// uuidState keeps UUID() values unique within the process: the clock
// sequence and node are chosen once at random, and the timestamp never
// repeats or goes back.
var uuidState struct {
	sync.Mutex
	last uint64 // last timestamp used, 100 ns units since 1582-10-15
	seq  uint16
	node [6]byte
	init bool
}

// newUUID returns a version 1 (time-based) UUID as MySQL's UUID() does,
// with a random node (multicast bit set, as RFC 9562 asks of a node that
// is not a MAC address) instead of the host's MAC address.
func newUUID(now time.Time) string {
	const gregorianOffset = 0x01B21DD213814000 // 100 ns units from 1582-10-15 to 1970-01-01
	ts := uint64(now.UnixNano()/100) + gregorianOffset
	uuidState.Lock()
	if !uuidState.init {
		uuidState.init = true
		uuidState.seq = uint16(rand.Uint32())
		binary.BigEndian.PutUint16(uuidState.node[:2], uint16(rand.Uint32()))
		binary.BigEndian.PutUint32(uuidState.node[2:], rand.Uint32())
		uuidState.node[0] |= 1
	}
	if ts <= uuidState.last {
		ts = uuidState.last + 1
	}
	uuidState.last = ts
	seq, node := uuidState.seq, uuidState.node
	uuidState.Unlock()
	var u [16]byte
	binary.BigEndian.PutUint32(u[0:], uint32(ts))
	binary.BigEndian.PutUint16(u[4:], uint16(ts>>32))
	binary.BigEndian.PutUint16(u[6:], uint16(ts>>48)&0x0fff|0x1000)
	binary.BigEndian.PutUint16(u[8:], seq&0x3fff|0x8000)
	copy(u[10:], node[:])
	h := hex.EncodeToString(u[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// mixesTextAndNumbers reports whether args (none NULL) hold both text and
// numbers: GREATEST and LEAST then compare them all as DOUBLEs.
func mixesTextAndNumbers(args []any) bool {
	text, num := false, false
	for _, a := range args {
		switch a.(type) {
		case string, []byte:
			text = true
		case int64, uint64, float64, decimal.Decimal:
			num = true
		}
	}
	return text && num
}

// latin1Case is a case mapping as MariaDB's latin1 has it: between the
// letters of ISO 8859-1 only. The characters Windows-1252 adds at 0x80-0x9F
// (š, Ÿ, ...) and ÿ and µ, whose other case is not in ISO 8859-1, stay as
// they are: UPPER of a latin1 'ÿ' is 'ÿ' (0xFF), not 'Ÿ' (0x9F).
func latin1Case(to func(rune) rune) func(rune) rune {
	return func(r rune) rune {
		if u := to(r); r <= 0xFF && u <= 0xFF {
			return u
		}
		return r
	}
}

// saturatedInt is toInt(v) for a position or length argument, with an
// integer past the BIGINT range read as the nearest BIGINT (not
// wrapped): SUBSTRING('abc', 18446744073709551615) is empty, as in
// MariaDB.
func saturatedInt(v any) int64 {
	switch x := v.(type) {
	case uint64:
		if x > math.MaxInt64 {
			return math.MaxInt64
		}
	case decimal.Decimal:
		if !x.Round(0).BigInt().IsInt64() {
			if x.Sign() < 0 {
				return math.MinInt64
			}
			return math.MaxInt64
		}
	}
	return toInt(v)
}
