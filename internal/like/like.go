// Package like matches SQL LIKE patterns: % is any run of characters, _ is
// one character, and the escape character makes the next one literal (an
// escape at the end of the pattern is itself literal). Characters are
// UTF-8 runes compared exactly; a caller wanting case-insensitive matching
// folds both strings first.
//
// Match takes time proportional to len(s) × len(pattern) at worst: on a
// mismatch it only returns to the last % seen, which is enough, since
// any earlier % could absorb what a retry of it would. A backtracking
// matcher takes time exponential in the number of %, and a pattern like
// '%0%0%0...' against a long value never finished (FuzzLex found it).
package like

import "unicode/utf8"

// token kinds
const (
	literal = iota
	anyRun  // %
	anyOne  // _
)

// next decodes the pattern token at p[i:]: its kind, the rune of a
// literal, and its width in bytes.
func next(p string, i int, esc rune) (kind int, r rune, width int) {
	r, n := utf8.DecodeRuneInString(p[i:])
	switch {
	case r == esc && i+n < len(p):
		q, m := utf8.DecodeRuneInString(p[i+n:])
		return literal, q, n + m
	case r == '%':
		return anyRun, r, n
	case r == '_':
		return anyOne, r, n
	}
	return literal, r, n
}

// Match reports whether s matches pattern, with esc as the escape
// character.
func Match(s, pattern string, esc rune) bool { return MatchFunc(s, pattern, esc, nil) }

// MatchFunc is Match with the characters of s and of the pattern compared
// by eq, as a collation compares them (nil: byte for byte).
func MatchFunc(s, pattern string, esc rune, eq func(a, b rune) bool) bool {
	si, pi := 0, 0
	star, starS := -1, 0 // pattern position after the last %, and where in s it is tried from
	for si < len(s) {
		if pi < len(pattern) {
			kind, r, w := next(pattern, pi, esc)
			if kind == anyRun {
				pi += w
				star, starS = pi, si
				continue
			}
			sr, sn := utf8.DecodeRuneInString(s[si:])
			if kind == anyOne || sr == r || eq != nil && eq(sr, r) {
				si += sn
				pi += w
				continue
			}
		}
		if star < 0 {
			return false
		}
		// Let the last % absorb one more character and retry after it.
		_, sn := utf8.DecodeRuneInString(s[starS:])
		starS += sn
		si, pi = starS, star
	}
	for pi < len(pattern) {
		kind, _, w := next(pattern, pi, esc)
		if kind != anyRun {
			return false
		}
		pi += w
	}
	return true
}
