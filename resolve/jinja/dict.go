package jinja

import "math"

// Dict is an insertion-ordered map like Python's dict. String keys are
// indexed by a Go map; other keys (ints, tuples, None) are found by a scan,
// which is fine for the small dicts templates build.
type Dict struct {
	keys []Value
	vals []Value
	sidx map[string]int
}

// NewDict returns an empty dict.
func NewDict() *Dict { return &Dict{} }

// Len returns the number of entries.
func (d *Dict) Len() int { return len(d.keys) }

// Keys returns the keys in insertion order (shared; do not modify).
func (d *Dict) Keys() []Value { return d.keys }

// Values returns the values in insertion order (shared; do not modify).
func (d *Dict) Values() []Value { return d.vals }

// find returns the index of key or -1. Python equates 1, 1.0 and True as keys.
func (d *Dict) find(key Value) int {
	if key.kind == KindString {
		if d.sidx != nil {
			if i, ok := d.sidx[key.s]; ok {
				return i
			}
			return -1
		}
		for i, k := range d.keys {
			if k.kind == KindString && k.s == key.s {
				return i
			}
		}
		return -1
	}
	for i, k := range d.keys {
		if k.kind != KindString && valuesEqual(k, key) {
			return i
		}
	}
	return -1
}

// Get returns the value stored under key.
func (d *Dict) Get(key Value) (Value, bool) {
	if i := d.find(key); i >= 0 {
		return d.vals[i], true
	}
	return Value{}, false
}

// GetStr returns the value stored under a string key.
func (d *Dict) GetStr(key string) (Value, bool) { return d.Get(Str(key)) }

// Set stores val under key, keeping the original position of an existing key.
func (d *Dict) Set(key, val Value) {
	if i := d.find(key); i >= 0 {
		d.vals[i] = val
		return
	}
	if key.kind == KindString {
		key.safe = false
	}
	d.keys = append(d.keys, key)
	d.vals = append(d.vals, val)
	if key.kind == KindString {
		if d.sidx == nil && len(d.keys) > 8 {
			d.sidx = make(map[string]int, 16)
			for i, k := range d.keys {
				if k.kind == KindString {
					d.sidx[k.s] = i
				}
			}
		} else if d.sidx != nil {
			d.sidx[key.s] = len(d.keys) - 1
		}
	}
}

// SetStr stores val under a string key.
func (d *Dict) SetStr(key string, val Value) { d.Set(Str(key), val) }

// Delete removes key, reporting whether it was present.
func (d *Dict) Delete(key Value) bool {
	i := d.find(key)
	if i < 0 {
		return false
	}
	d.keys = append(d.keys[:i], d.keys[i+1:]...)
	d.vals = append(d.vals[:i], d.vals[i+1:]...)
	if d.sidx != nil {
		d.sidx = nil
		if len(d.keys) > 8 {
			d.sidx = make(map[string]int, len(d.keys))
			for j, k := range d.keys {
				if k.kind == KindString {
					d.sidx[k.s] = j
				}
			}
		}
	}
	return true
}

// Copy returns a shallow copy.
func (d *Dict) Copy() *Dict {
	n := &Dict{keys: append([]Value(nil), d.keys...), vals: append([]Value(nil), d.vals...)}
	if d.sidx != nil {
		n.sidx = make(map[string]int, len(d.sidx))
		for k, v := range d.sidx {
			n.sidx[k] = v
		}
	}
	return n
}

// hashable reports whether v may be a dict key (Python rejects lists and dicts).
func hashable(v Value) bool {
	switch v.kind {
	case KindList, KindDict:
		return false
	case KindTuple:
		for _, it := range v.ref.(*List).Items {
			if !hashable(it) {
				return false
			}
		}
	case KindFloat:
		return !math.IsNaN(v.AsFloat()) || true
	}
	return true
}
