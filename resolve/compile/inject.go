package compile

import (
	"strings"

	"github.com/dbtdefer/dbtdefer/resolve/manifest"
)

// InjectCTEs inserts ephemeral CTEs into sql the way dbt's
// inject_ctes_into_sql does on sqlparse's top-level token stream (spec §2.6):
// only the first statement is kept; an existing top-level WITH (optionally
// followed by RECURSIVE, 1.6+) receives the CTEs after its whitespace,
// otherwise `with` is inserted before the first non-whitespace token. legacy
// selects dbt 1.0–1.5's layout (no space after the CTEs, a bare comma, no
// RECURSIVE handling).
func InjectCTEs(sql string, ctes []manifest.CTE, legacy bool) string {
	if len(ctes) == 0 {
		return sql
	}
	parts := make([]string, len(ctes))
	for i, c := range ctes {
		parts[i] = c.SQL
	}
	joined := strings.Join(parts, ", ")
	toks := sqlTokens(sql)
	stmt, toks := firstStatement(sql, toks)
	anchor := -1 // index of the token after which CTEs go
	for i, t := range toks {
		if t.kind == tkWord && strings.EqualFold(t.text, "with") {
			anchor = i
			if legacy {
				break
			}
			continue
		}
		if anchor >= 0 && !legacy {
			if t.kind == tkWord && strings.EqualFold(t.text, "recursive") {
				anchor = i
				break
			}
			if t.kind != tkSpace {
				break
			}
		}
	}
	if anchor < 0 {
		first := len(stmt)
		for _, t := range toks {
			if t.kind != tkSpace {
				first = t.pos
				break
			}
		}
		ins := "with" + joined
		if !legacy {
			ins += " "
		}
		return stmt[:first] + ins + stmt[first:]
	}
	// insert before the next non-whitespace token after the anchor
	at := len(stmt)
	for _, t := range toks[anchor+1:] {
		if t.kind != tkSpace {
			at = t.pos
			break
		}
	}
	sep := ", "
	if legacy {
		sep = ","
	}
	return stmt[:at] + joined + sep + stmt[at:]
}

type tokKind int

const (
	tkSpace tokKind = iota
	tkNewline
	tkComment
	tkLineComment
	tkWord
	tkString
	tkPunct
	tkOpen
	tkClose
	tkSemi
	tkGroup // a parenthesised group (top level only)
)

type sqlTok struct {
	kind tokKind
	pos  int
	text string
}

func isWordByte(c byte) bool {
	return c == '_' || c == '$' || c == '#' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// dollarQuoted is the end of the dollar-quoted string ($$…$$ or $tag$…$tag$)
// starting at s[i], as sqlparse lexes one: a tag is a letter or underscore
// then word characters, and the string runs to the next same tag.
func dollarQuoted(s string, i int) (int, bool) {
	j := i + 1
	if j < len(s) && (s[j] == '_' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= 0x80) {
		for j++; j < len(s) && s[j] != '$' && isWordByte(s[j]) && s[j] != '#'; j++ {
		}
	}
	if j >= len(s) || s[j] != '$' {
		return 0, false
	}
	tag := s[i : j+1]
	k := strings.Index(s[j+1:], tag)
	if k < 0 {
		return 0, false
	}
	return j + 1 + k + len(tag), true
}

// sqlTokens lexes sql roughly as sqlparse does, enough to find statement
// ends, top-level keywords and whitespace. Newlines are tkSpace too except
// where the statement splitter needs them (tkNewline).
func sqlTokens(s string) []sqlTok {
	var out []sqlTok
	for i := 0; i < len(s); {
		c := s[i]
		start := i
		if c == '$' && (i == 0 || !isWordByte(s[i-1]) && s[i-1] != '"') {
			if end, ok := dollarQuoted(s, i); ok {
				out = append(out, sqlTok{tkString, start, s[start:end]})
				i = end
				continue
			}
		}
		switch {
		case c == '\n' || c == '\r':
			i++
			if c == '\r' && i < len(s) && s[i] == '\n' {
				i++
			}
			out = append(out, sqlTok{tkNewline, start, s[start:i]})
		case c == ' ' || c == '\t' || c == '\f' || c == '\v':
			i++
			out = append(out, sqlTok{tkSpace, start, s[start:i]})
		case c == '-' && i+1 < len(s) && s[i+1] == '-', c == '#' && i+1 < len(s) && s[i+1] == ' ':
			j := strings.IndexAny(s[i:], "\r\n")
			if j < 0 {
				i = len(s)
			} else {
				i += j + 1
				if s[i-1] == '\r' && i < len(s) && s[i] == '\n' {
					i++
				}
			}
			out = append(out, sqlTok{tkLineComment, start, s[start:i]})
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			j := strings.Index(s[i+2:], "*/")
			if j < 0 {
				i = len(s)
			} else {
				i += j + 4
			}
			out = append(out, sqlTok{tkComment, start, s[start:i]})
		case c == '\'' || c == '"' || c == '`':
			i++
			for i < len(s) {
				if s[i] == '\\' && c == '\'' && i+1 < len(s) {
					i += 2
					continue
				}
				if s[i] == c {
					if i+1 < len(s) && s[i+1] == c {
						i += 2
						continue
					}
					i++
					break
				}
				i++
			}
			out = append(out, sqlTok{tkString, start, s[start:i]})
		case c == '(':
			i++
			out = append(out, sqlTok{tkOpen, start, "("})
		case c == ')':
			i++
			out = append(out, sqlTok{tkClose, start, ")"})
		case c == ';':
			i++
			out = append(out, sqlTok{tkSemi, start, ";"})
		case isWordByte(c):
			for i < len(s) && isWordByte(s[i]) {
				i++
			}
			out = append(out, sqlTok{tkWord, start, s[start:i]})
		default:
			i++
			out = append(out, sqlTok{tkPunct, start, s[start:i]})
		}
	}
	return out
}

// firstStatement returns the text of the first statement (sqlparse's
// splitter: a top-level `;` ends it, then trailing spaces and single-line
// comments are kept) and its top-level tokens (parenthesised groups
// collapsed, newlines as whitespace, words after a dot not keywords).
func firstStatement(s string, toks []sqlTok) (string, []sqlTok) {
	end := len(s)
	depth := 0
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch t.kind {
		case tkOpen:
			depth++
		case tkClose:
			depth--
		case tkSemi:
			if depth <= 0 {
				j := i + 1
				for j < len(toks) && (toks[j].kind == tkSpace || toks[j].kind == tkLineComment) {
					j++
				}
				if j < len(toks) {
					end = toks[j].pos
				}
				toks = toks[:j]
				i = len(toks)
			}
		}
	}
	stmt := s[:end]
	var top []sqlTok
	depth = 0
	for i, t := range toks {
		switch t.kind {
		case tkOpen:
			if depth == 0 {
				top = append(top, sqlTok{tkGroup, t.pos, "("})
			}
			depth++
			continue
		case tkClose:
			depth--
			continue
		}
		if depth > 0 {
			continue
		}
		if t.kind == tkNewline {
			t.kind = tkSpace
		}
		if t.kind == tkWord && i > 0 && toks[i-1].kind == tkPunct && toks[i-1].text == "." {
			t.kind = tkPunct
		}
		top = append(top, t)
	}
	return stmt, top
}
