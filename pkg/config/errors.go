package config

import (
	"errors"
	"fmt"
)

var (
	// ErrInvalidValue is wrapped by a VarError whose value does not parse.
	ErrInvalidValue = errors.New("invalid value")
	// ErrMissing is wrapped by a VarError for a required variable that is
	// unset or empty.
	ErrMissing = errors.New("missing value")
	// ErrNotStructPointer is returned when the destination is not a
	// non-nil pointer to a struct.
	ErrNotStructPointer = errors.New("expected a pointer to a struct")
)

// VarError reports one bad environment variable.
type VarError struct {
	Var      string // variable name, e.g. WAMESH_SHARDS
	Value    string // the offending value
	Expected string // the expected form, e.g. "an integer"
	Err      error  // ErrInvalidValue or ErrMissing, possibly wrapping the parser's error
}

// Error reads `WAMESH_SHARDS: expected an integer, got "abc"`.
func (e *VarError) Error() string {
	if errors.Is(e.Err, ErrMissing) {
		return fmt.Sprintf("%s: expected %s, but it is not set", e.Var, e.Expected)
	}
	return fmt.Sprintf("%s: expected %s, got %q", e.Var, e.Expected, e.Value)
}

// Unwrap returns the underlying error.
func (e *VarError) Unwrap() error { return e.Err }
