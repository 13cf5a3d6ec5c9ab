package store

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
)

// cursor is the position after the last row of a page: its sort time and
// key. It travels base64url-encoded and is opaque to clients.
type cursor struct {
	T int64  `json:"t,omitempty"`
	K string `json:"k"`
}

func (c cursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor parses s; ok is false for the empty cursor (first page).
func decodeCursor(s string) (cursor, bool, error) {
	if s == "" {
		return cursor{}, false, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, false, fmt.Errorf("%w: %w", ErrBadCursor, err)
	}
	var c cursor
	if err := json.Unmarshal(raw, &c); err != nil || c.K == "" {
		return cursor{}, false, fmt.Errorf("%w: not a history cursor", ErrBadCursor)
	}
	return c, true, nil
}

// limit normalises a requested page size.
func limit(n int) int {
	switch {
	case n <= 0:
		return DefaultLimit
	case n > MaxLimit:
		return MaxLimit
	}
	return n
}

// sqlArgs collects query arguments and hands out their placeholders.
type sqlArgs []any

func (a *sqlArgs) add(v any) string {
	*a = append(*a, v)
	return fmt.Sprintf("$%d", len(*a))
}

// likePattern turns a search string into a case-insensitive LIKE pattern
// (escape character '\').
func likePattern(s string) string {
	out := make([]rune, 0, len(s)+2)
	out = append(out, '%')
	for _, r := range s {
		if r == '%' || r == '_' || r == '\\' {
			out = append(out, '\\')
		}
		out = append(out, r)
	}
	return lowerASCII(string(append(out, '%')))
}

// lowerASCII lowercases like SQLite's lower() does (ASCII only), so both
// databases match the same rows.
func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}
