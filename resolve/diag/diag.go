// Package diag holds the error, warning and provenance vocabulary shared by every
// dbtdefer package: diagnostics are data with a stable code and a location, so the
// CLI, the JS API and the Worker can print them the same way.
package diag

import (
	"fmt"
	"strings"
)

// Severity says whether a Diagnostic stops the operation (error) or only informs.
type Severity string

// The severities a Diagnostic can carry.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityInfo    Severity = "info"
)

// Location names where a problem is: a file, a manifest entry, a byte offset,
// and when known a line and column (1-based). Zero values mean unknown.
type Location struct {
	File     string `json:"file,omitempty"`
	UniqueID string `json:"uniqueId,omitempty"`
	Offset   int    `json:"offset,omitempty"`
	Line     int    `json:"line,omitempty"`
	Column   int    `json:"column,omitempty"`
	// Suggestion is a "did you mean" for near-miss names.
	Suggestion string `json:"suggestion,omitempty"`
}

// Diagnostic is one error, warning or note with a stable machine-readable code.
type Diagnostic struct {
	Code     string   `json:"code"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	Location Location `json:"location"`
}

// Error is a Diagnostic used as a Go error.
type Error struct {
	Diagnostic
}

// Error renders the message with its location, for humans.
func (e *Error) Error() string {
	var b strings.Builder
	l := e.Location
	if l.File != "" {
		b.WriteString(l.File)
		if l.Line > 0 {
			fmt.Fprintf(&b, ":%d:%d", l.Line, l.Column)
		} else if l.Offset > 0 {
			fmt.Fprintf(&b, " (byte %d)", l.Offset)
		}
		b.WriteString(": ")
	} else if l.Offset > 0 {
		fmt.Fprintf(&b, "byte %d: ", l.Offset)
	}
	if l.UniqueID != "" {
		b.WriteString(l.UniqueID)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	if l.Suggestion != "" {
		fmt.Fprintf(&b, " (did you mean %q?)", l.Suggestion)
	}
	return b.String()
}

// Errorf builds an *Error with the given code, location and formatted message.
func Errorf(code string, loc Location, format string, args ...any) *Error {
	return &Error{Diagnostic{Code: code, Severity: SeverityError, Message: fmt.Sprintf(format, args...), Location: loc}}
}

// Warning builds a warning Diagnostic.
func Warning(code string, loc Location, format string, args ...any) Diagnostic {
	return Diagnostic{Code: code, Severity: SeverityWarning, Message: fmt.Sprintf(format, args...), Location: loc}
}

// LineCol converts a byte offset in data to a 1-based line and column.
func LineCol(data []byte, offset int) (line, col int) {
	if offset > len(data) {
		offset = len(data)
	}
	line, col = 1, 1
	for i := 0; i < offset; i++ {
		if data[i] == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

// MaxSuggestLen is the longest name Closest looks for a suggestion for:
// past it (no dbt identifier is that long) it returns "", so a hostile name
// or manifest of huge strings cannot make a lookup error quadratic.
const MaxSuggestLen = 256

// Closest returns the candidate nearest to name by edit distance, or "" when
// none is close enough to be a plausible typo. Candidates whose length alone
// puts them out of reach are skipped without computing a distance.
func Closest(name string, candidates []string) string {
	if len(name) > MaxSuggestLen {
		return ""
	}
	lname := strings.ToLower(name)
	best, bestD := "", len(name)/2+2
	var rows []int
	for _, c := range candidates {
		if diff := len(c) - len(name); diff >= bestD || -diff >= bestD {
			continue // the distance is at least the length difference
		}
		lc := c
		if !isLowerASCII(c) {
			lc = strings.ToLower(c)
		}
		if need := 2 * (len(lc) + 1); cap(rows) < need {
			rows = make([]int, need)
		}
		if d := levenshteinBelow(lname, lc, bestD, rows[:2*(len(lc)+1)]); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// isLowerASCII reports whether s is ASCII without upper-case letters (as
// most ref names are: strings.ToLower would copy nothing, but costs a scan
// and a call in wasm).
func isLowerASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x80 || ('A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// levenshteinBelow is the edit distance between a and b (bytes) when it
// is below limit, and limit otherwise: it stops as soon as a whole row of
// the table reaches limit (a row's minimum never decreases), in rows (two
// of len(b)+1). A missing ref's suggestion compares its name with every
// ref name of the project.
func levenshteinBelow(a, b string, limit int, rows []int) int {
	prev, cur := rows[:len(b)+1], rows[len(b)+1:]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		low := i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			low = min(low, cur[j])
		}
		if low >= limit {
			return limit
		}
		prev, cur = cur, prev
	}
	return min(prev[len(b)], limit)
}
