// Package fuzzy scores a typed query against names, the way a model picker
// or an editor's completion list ranks them: every query character must
// appear in the name in order (case-insensitively); a contiguous substring
// beats a scattered match, a match at the start or at a word start (after
// _ . / - or a space) beats one inside a word, and a shorter name wins a
// tie. The scoring is a plain loop over bytes, so tens of thousands of
// names score in a few milliseconds.
package fuzzy

import "unicode/utf8"

// NoMatch is Score's answer when the query's characters do not all appear
// in order.
const NoMatch = -1 << 31

// Score scores query against text: NoMatch, or higher for better. When
// positions is not nil, the matched characters' byte offsets in text are
// appended to it.
func Score(query, text string, positions *[]int) int {
	if query == "" {
		return 0
	}
	if at := indexFold(text, query); at >= 0 {
		if positions != nil {
			for i := 0; i < len(query); i++ {
				*positions = append(*positions, at+i)
			}
		}
		s := 1000 - len(text)
		switch {
		case at == 0:
			s += 300
		case isSep(text[at-1]):
			s += 150
		}
		if len(text) == len(query) {
			s += 500
		}
		return s
	}
	s, ti, run := 0, 0, 0
	for qi := 0; qi < len(query); qi++ {
		c := lower(query[qi])
		found := -1
		for ti < len(text) {
			if lower(text[ti]) == c {
				found = ti
				break
			}
			ti++
			run = 0
		}
		if found < 0 {
			return NoMatch
		}
		run++
		s += 10 + run*5
		if found == 0 || isSep(text[found-1]) {
			s += 25
		}
		if positions != nil {
			*positions = append(*positions, found)
		}
		ti++
	}
	return s - len(text)
}

// UTF16 turns Score's byte offsets in text into UTF-16 offsets, as
// JavaScript strings (and editors) count them. It rewrites positions in
// place; they must be ascending.
func UTF16(text string, positions []int) {
	u, b := 0, 0
	for i, p := range positions {
		for b < p && b < len(text) {
			r, size := utf8.DecodeRuneInString(text[b:])
			b += size
			u++
			if r >= 0x10000 {
				u++
			}
		}
		positions[i] = u
	}
}

// indexFold is the byte offset of the first ASCII-case-insensitive
// occurrence of sub in s, or -1.
func indexFold(s, sub string) int {
	n := len(sub)
	for i := 0; i+n <= len(s); i++ {
		j := 0
		for j < n && lower(s[i+j]) == lower(sub[j]) {
			j++
		}
		if j == n {
			return i
		}
	}
	return -1
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func isSep(c byte) bool { return c == '_' || c == '.' || c == '/' || c == '-' || c == ' ' }
