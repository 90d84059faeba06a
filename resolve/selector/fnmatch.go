package selector

import "strings"

// fnmatch is Python's fnmatch.fnmatchcase (dbt runs on POSIX, where fnmatch
// is case-sensitive): '*' matches any run of characters including '/', '?'
// one character, '[seq]' / '[!seq]' a character class; an unclosed '['
// matches itself.
func fnmatch(name, pat string) bool {
	if !strings.ContainsAny(pat, "*?[") {
		return name == pat
	}
	return matchRunes([]rune(name), []rune(pat))
}

func matchRunes(s, p []rune) bool {
	// iterative matcher with single-star backtracking
	si, pi := 0, 0
	starP, starS := -1, 0
	for si < len(s) {
		if pi < len(p) {
			switch p[pi] {
			case '*':
				starP, starS = pi, si
				pi++
				continue
			case '?':
				si++
				pi++
				continue
			case '[':
				if ok, next, valid := matchClass(s[si], p, pi); valid {
					if ok {
						si++
						pi = next
						continue
					}
				} else if s[si] == '[' {
					si++
					pi++
					continue
				}
			default:
				if p[pi] == s[si] {
					si++
					pi++
					continue
				}
			}
		}
		if starP >= 0 {
			starS++
			si, pi = starS, starP+1
			continue
		}
		return false
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// matchClass matches c against the class starting at p[i] == '['. valid is
// false when the class is not closed (then '[' is literal).
func matchClass(c rune, p []rune, i int) (ok bool, next int, valid bool) {
	j := i + 1
	if j < len(p) && p[j] == '!' {
		j++
	}
	if j < len(p) && p[j] == ']' {
		j++
	}
	for j < len(p) && p[j] != ']' {
		j++
	}
	if j >= len(p) {
		return false, 0, false
	}
	body := p[i+1 : j]
	neg := false
	if len(body) > 0 && body[0] == '!' {
		neg, body = true, body[1:]
	}
	match := false
	for k := 0; k < len(body); k++ {
		if k+2 < len(body) && body[k+1] == '-' {
			if body[k] <= c && c <= body[k+2] {
				match = true
			}
			k += 2
			continue
		}
		if body[k] == c {
			match = true
		}
	}
	return match != neg, j + 1, true
}

// globPath matches a relative path against a pathlib-style glob: segments
// separated by '/', each matched with fnmatch, '**' matching any number of
// whole segments (including none).
func globPath(path, pat string) bool {
	pat = strings.TrimPrefix(strings.ReplaceAll(pat, "\\", "/"), "./")
	pat = strings.TrimRight(pat, "/")
	if pat == "" || pat == "." {
		return false
	}
	return globSegs(strings.Split(path, "/"), strings.Split(pat, "/"))
}

func globSegs(ps, gs []string) bool {
	for len(gs) > 0 {
		if gs[0] == "**" {
			for k := 0; k <= len(ps); k++ {
				if globSegs(ps[k:], gs[1:]) {
					return true
				}
			}
			return false
		}
		if len(ps) == 0 || !fnmatch(ps[0], gs[0]) {
			return false
		}
		ps, gs = ps[1:], gs[1:]
	}
	return len(ps) == 0
}
