package lang

import (
	"sort"
	"unicode/utf8"
)

// Pos is a place in a buffer as editors count it, and as Go does.
type Pos struct {
	// Offset is in UTF-16 code units from the buffer's start: a CodeMirror
	// position, a JS string index.
	Offset int `json:"offset"`
	// Line and Column are 1-based; Column counts UTF-16 code units (a tab
	// is one). "\r\n", "\n" and "\r" each end a line.
	Line   int `json:"line"`
	Column int `json:"column"`
	// Byte is the offset in the buffer's UTF-8 bytes.
	Byte int `json:"byte"`
}

// Range is a span of a buffer: End is the position after its last character.
type Range struct {
	Start Pos `json:"start"`
	End   Pos `json:"end"`
}

// Buffer turns byte offsets of a text into Pos and back.
type Buffer struct {
	text    string
	lines   []int // byte offset of each line's start
	lines16 []int // its UTF-16 offset
}

// NewBuffer indexes text's lines.
func NewBuffer(text string) *Buffer {
	b := &Buffer{text: text, lines: []int{0}, lines16: []int{0}}
	u := 0 // UTF-16 units before text[i]
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			i++
			u++
			if c == '\n' || c == '\r' {
				if c == '\r' && i < len(text) && text[i] == '\n' {
					i++
					u++
				}
				b.lines = append(b.lines, i)
				b.lines16 = append(b.lines16, u)
			}
			continue
		}
		r, w := utf8.DecodeRuneInString(text[i:])
		i += w
		if r >= 0x10000 {
			u += 2
		} else {
			u++
		}
	}
	return b
}

// Pos is the position of byte offset off (clamped to the text, and moved
// back to the start of a UTF-8 sequence it falls inside).
func (b *Buffer) Pos(off int) Pos {
	off = max(0, min(off, len(b.text)))
	for off > 0 && off < len(b.text) && !utf8.RuneStart(b.text[off]) {
		off--
	}
	line := sort.Search(len(b.lines), func(i int) bool { return b.lines[i] > off }) - 1
	start := b.lines[line]
	col := utf16Len(b.text[start:off])
	return Pos{Offset: b.lines16[line] + col, Line: line + 1, Column: col + 1, Byte: off}
}

// Range is the range of bytes [start, end).
func (b *Buffer) Range(start, end int) Range { return Range{Start: b.Pos(start), End: b.Pos(end)} }

// ByteOf is the byte offset of UTF-16 offset u (clamped; inside a
// surrogate pair, the pair's start).
func (b *Buffer) ByteOf(u int) int {
	line := sort.Search(len(b.lines16), func(i int) bool { return b.lines16[i] > u }) - 1
	n := b.lines16[max(line, 0)]
	start := b.lines[max(line, 0)]
	for i, r := range b.text[start:] {
		i += start
		w := 1
		if r >= 0x10000 {
			w = 2
		}
		if n+w > u {
			return i
		}
		n += w
	}
	return len(b.text)
}

// utf16Len counts s in UTF-16 code units (an invalid byte counts one, as
// a browser's decoder makes it U+FFFD).
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// OriginalOffset maps an offset in text as Jinja reads it (every "\r\n" and
// "\r" made "\n") back to the offset in text.
func OriginalOffset(text string, normalized int) int {
	n := 0
	for i := 0; i < len(text); i++ {
		if n >= normalized {
			return i
		}
		if text[i] == '\r' && i+1 < len(text) && text[i+1] == '\n' {
			i++
		}
		n++
	}
	return len(text)
}
