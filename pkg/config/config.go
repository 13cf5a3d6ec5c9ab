// Package config loads service configuration from WAMESH_* environment
// variables into structs tagged for github.com/caarlos0/env.
//
// Every bad variable is reported at once, each error naming the variable and
// the form it expects, so a misconfigured service fails at start with a
// message an operator can act on:
//
//	WAMESH_SHARDS: expected an integer, got "abc"
//
// After parsing, a struct that implements Validator is validated.
package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"

	"github.com/caarlos0/env/v11"
)

// Validator is implemented by configuration structs that check their own
// invariants after parsing (ranges, mutually exclusive settings, ...).
type Validator interface {
	Validate() error
}

// Load parses the process environment into a new T, which must be a struct.
func Load[T any]() (T, error) {
	var cfg T
	err := LoadInto(&cfg)
	return cfg, err
}

// LoadInto parses the process environment into dst, a pointer to a struct.
// Defaults from envDefault tags apply as usual.
func LoadInto(dst any) error {
	return LoadFrom(dst, environ())
}

// LoadFrom parses the given variables instead of the process environment;
// it is meant for tests.
func LoadFrom(dst any, environ map[string]string) error {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("config: load into %T: %w", dst, ErrNotStructPointer)
	}
	if environ == nil {
		environ = map[string]string{}
	}
	if errs := checkStruct(rv.Elem(), "", environ); len(errs) > 0 {
		return errors.Join(errs...)
	}
	if err := env.ParseWithOptions(dst, env.Options{Environment: environ}); err != nil {
		return translate(err)
	}
	if v, ok := dst.(Validator); ok {
		return v.Validate()
	}
	return nil
}

// environ returns the process environment as a map.
func environ() map[string]string {
	m := make(map[string]string)
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

// translate rewrites the errors of the env library that checkStruct does not
// anticipate (missing required variables, empty values, ...) into one error
// per variable.
func translate(err error) error {
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		return fmt.Errorf("config: %w", err)
	}
	errs := make([]error, 0, len(agg.Errors))
	for _, e := range agg.Errors {
		var notSet env.VarIsNotSetError
		var empty env.EmptyVarError
		switch {
		case errors.As(e, &notSet):
			errs = append(errs, &VarError{Var: notSet.Key, Expected: "a value", Err: ErrMissing})
		case errors.As(e, &empty):
			errs = append(errs, &VarError{Var: empty.Key, Expected: "a non-empty value", Err: ErrMissing})
		default:
			errs = append(errs, fmt.Errorf("config: %w", e))
		}
	}
	return errors.Join(errs...)
}
