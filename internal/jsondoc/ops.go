package jsondoc

import "strconv"

// This file holds what the functions that change or compare documents do
// to parsed values: JSON_SET/INSERT/REPLACE, JSON_REMOVE,
// JSON_ARRAY_APPEND/INSERT, the two merges and JSON_CONTAINS. Each works
// in place on a document the caller owns (a Clone of a shared one).

// SetMode is which of JSON_SET, JSON_INSERT and JSON_REPLACE Set does.
type SetMode uint8

const (
	SetAny     SetMode = iota // JSON_SET: replace or add
	SetInsert                 // JSON_INSERT: only add
	SetReplace                // JSON_REPLACE: only replace
)

// parent returns the one value the steps but the last select, or nil.
// The path has no wildcards.
func (p *Path) parent(doc *Value) *Value {
	var found *Value
	(&Path{Steps: p.Steps[:len(p.Steps)-1]}).find(doc, 0, func(v *Value) {
		if found == nil {
			found = v
		}
	})
	return found
}

// Set puts val at p in doc as mode says, and returns the document (doc
// itself, changed, or val when p is $). A path whose parent is missing
// or of the wrong type changes nothing. An index past the end of an
// array appends; an index other than 0 on a value that is not an array
// makes it the first element of a new array.
func Set(doc *Value, p *Path, val *Value, mode SetMode) *Value {
	if len(p.Steps) == 0 {
		if mode == SetInsert {
			return doc
		}
		return val
	}
	par := p.parent(doc)
	if par == nil {
		return doc
	}
	switch st := p.Steps[len(p.Steps)-1]; st.Kind {
	case StepKey:
		if par.Kind != Object {
			return doc
		}
		if i := par.MemberIndex(st.Key); i >= 0 {
			if mode != SetInsert {
				par.Items[i] = val
			}
			return doc
		}
		if mode != SetReplace {
			par.Keys = append(par.Keys, string(AppendEscaped(nil, st.Key)))
			par.Items = append(par.Items, val)
		}
	case StepIndex:
		if par.Kind != Array {
			switch k := resolve(st.Lo, st.LoFromEnd, 1); {
			case k == 0 && mode != SetInsert:
				*par = *val
			case k > 0 && mode != SetReplace:
				first := *par
				*par = Value{Kind: Array, Items: []*Value{&first, val}}
			}
			return doc
		}
		k := resolve(st.Lo, st.LoFromEnd, len(par.Items))
		switch {
		case k < 0:
		case k < len(par.Items):
			if mode != SetInsert {
				par.Items[k] = val
			}
		case mode != SetReplace:
			par.Items = append(par.Items, val)
		}
	}
	return doc
}

// Remove deletes what p (not $) selects from doc; nothing when it
// selects nothing.
func Remove(doc *Value, p *Path) {
	par := p.parent(doc)
	if par == nil {
		return
	}
	switch st := p.Steps[len(p.Steps)-1]; st.Kind {
	case StepKey:
		if par.Kind == Object {
			if i := par.MemberIndex(st.Key); i >= 0 {
				par.Keys = append(par.Keys[:i], par.Keys[i+1:]...)
				par.Items = append(par.Items[:i], par.Items[i+1:]...)
			}
		}
	case StepIndex:
		if par.Kind == Array {
			if k := resolve(st.Lo, st.LoFromEnd, len(par.Items)); k >= 0 && k < len(par.Items) {
				par.Items = append(par.Items[:k], par.Items[k+1:]...)
			}
		}
	}
}

// ArrayAppend appends val to the array p selects in doc; a value that is
// not an array becomes the first element of a new one. It reports
// whether p selected anything.
func ArrayAppend(doc *Value, p *Path, val *Value) bool {
	var target *Value
	p.find(doc, 0, func(v *Value) {
		if target == nil {
			target = v
		}
	})
	switch {
	case target == nil:
		return false
	case target.Kind == Array:
		target.Items = append(target.Items, val)
	default:
		first := *target
		*target = Value{Kind: Array, Items: []*Value{&first, val}}
	}
	return true
}

// ArrayInsert inserts val into an array at the position p's last step
// (an index) names, or at its end when that is past it.
func ArrayInsert(doc *Value, p *Path, val *Value) {
	par := p.parent(doc)
	if par == nil || par.Kind != Array {
		return
	}
	st := p.Steps[len(p.Steps)-1]
	k := min(resolve(st.Lo, st.LoFromEnd, len(par.Items)), len(par.Items))
	if k < 0 {
		return
	}
	par.Items = append(par.Items, nil)
	copy(par.Items[k+1:], par.Items[k:])
	par.Items[k] = val
}

// MergePreserve is JSON_MERGE_PRESERVE of two documents: two objects
// merge member by member (a name in both merges its two values), anything
// else concatenates as arrays (a value that is not one becomes a
// one-element array).
func MergePreserve(a, b *Value) *Value {
	if a.Kind == Object && b.Kind == Object {
		for i, k := range b.Keys {
			if j := a.MemberIndex(Unescape(k)); j >= 0 {
				a.Items[j] = MergePreserve(a.Items[j], b.Items[i])
			} else {
				a.Keys = append(a.Keys, k)
				a.Items = append(a.Items, b.Items[i])
			}
		}
		return a
	}
	out := &Value{Kind: Array}
	for _, v := range []*Value{a, b} {
		if v.Kind == Array {
			out.Items = append(out.Items, v.Items...)
		} else {
			out.Items = append(out.Items, v)
		}
	}
	return out
}

// MergePatch is JSON_MERGE_PATCH of two documents (RFC 7396): a patch
// that is not an object replaces the target; an object's members replace
// the target's of the same name, merged in turn, and a null member
// removes it.
func MergePatch(target, patch *Value) *Value {
	if patch.Kind != Object {
		return patch
	}
	if target == nil || target.Kind != Object {
		target = &Value{Kind: Object}
	}
	for i, k := range patch.Keys {
		name := Unescape(k)
		j := target.MemberIndex(name)
		pv := patch.Items[i]
		switch {
		case pv.Kind == Null:
			if j >= 0 {
				target.Keys = append(target.Keys[:j], target.Keys[j+1:]...)
				target.Items = append(target.Items[:j], target.Items[j+1:]...)
			}
		case j >= 0:
			target.Items[j] = MergePatch(target.Items[j], pv)
		default:
			target.Keys = append(target.Keys, k)
			target.Items = append(target.Items, MergePatch(nil, pv))
		}
	}
	return target
}

// Contains is JSON_CONTAINS: whether doc contains candidate. An object
// contains an object whose every member it has, with a value containing
// the candidate's; an array contains an array whose every element it
// contains, and any other value that one of its elements contains;
// scalars contain equal scalars of the same type (numbers by value,
// strings by their text as written).
func Contains(doc, c *Value) bool {
	switch doc.Kind {
	case Object:
		if c.Kind != Object {
			return false
		}
		for i, k := range c.Keys {
			m := doc.Member(Unescape(k))
			if m == nil || !Contains(m, c.Items[i]) {
				return false
			}
		}
		return true
	case Array:
		if c.Kind == Array {
			for _, e := range c.Items {
				if !Contains(doc, e) {
					return false
				}
			}
			return true
		}
		for _, e := range doc.Items {
			if Contains(e, c) {
				return true
			}
		}
		return false
	}
	if doc.Kind != c.Kind {
		return false
	}
	switch doc.Kind {
	case Number:
		a, _ := strconv.ParseFloat(doc.Text, 64)
		b, _ := strconv.ParseFloat(c.Text, 64)
		return a == b
	case String:
		return doc.Text == c.Text // as written: MariaDB compares the escapes too
	}
	return true
}
