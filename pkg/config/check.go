package config

import (
	"encoding"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

var (
	durationType = reflect.TypeFor[time.Duration]()
	urlType      = reflect.TypeFor[url.URL]()
	locationType = reflect.TypeFor[time.Location]()
)

// checkStruct walks v the way env.Parse does and tries to parse every value
// that will be set, returning one VarError per variable that does not parse.
// It exists because the env library names struct fields, not variables.
func checkStruct(v reflect.Value, prefix string, environ map[string]string) []error {
	var errs []error
	t := v.Type()
	for i := range t.NumField() {
		sf, fv := t.Field(i), v.Field(i)
		if !sf.IsExported() {
			continue
		}
		nested := prefix + sf.Tag.Get("envPrefix")
		switch {
		case fv.Kind() == reflect.Pointer && !fv.IsNil() && fv.Elem().Kind() == reflect.Struct:
			errs = append(errs, checkStruct(fv.Elem(), nested, environ)...)
			continue
		case fv.Kind() == reflect.Struct && sf.Type.Name() == "":
			errs = append(errs, checkStruct(fv, nested, environ)...)
			continue
		}
		if err := checkField(sf, prefix, environ); err != nil {
			errs = append(errs, err)
		}
		if fv.Kind() == reflect.Struct && !isLeaf(sf.Type) {
			errs = append(errs, checkStruct(fv, nested, environ)...)
		}
	}
	return errs
}

// checkField parses the value the env library would assign to sf.
func checkField(sf reflect.StructField, prefix string, environ map[string]string) error {
	name, opts, _ := strings.Cut(sf.Tag.Get("env"), ",")
	if name == "" || name == "-" {
		return nil
	}
	options := strings.Split(opts, ",")
	if slices.Contains(options, "file") || slices.Contains(options, "expand") {
		return nil // the value is not the final one
	}
	key := prefix + name
	raw, ok := environ[key]
	if def, hasDef := sf.Tag.Lookup("envDefault"); hasDef && raw == "" {
		raw, ok = def, true
	}
	if !ok || raw == "" {
		return nil
	}
	sep := sf.Tag.Get("envSeparator")
	if sep == "" {
		sep = ","
	}
	expected, err := checkValue(sf.Type, raw, sep)
	if err != nil {
		return &VarError{Var: key, Value: raw, Expected: expected, Err: fmt.Errorf("%w: %w", ErrInvalidValue, err)}
	}
	return nil
}

// checkValue parses raw as a value of type t. On failure it returns the
// expected form in words and the parser's error.
func checkValue(t reflect.Type, raw, sep string) (string, error) {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if tu, ok := reflect.New(t).Interface().(encoding.TextUnmarshaler); ok {
		return "a valid " + t.String(), tu.UnmarshalText([]byte(raw))
	}
	switch t {
	case durationType:
		_, err := time.ParseDuration(raw)
		return "a duration like 30s or 168h", err
	case urlType:
		return "an absolute URL like https://example.com:8443/path", checkURL(raw)
	case locationType:
		_, err := time.LoadLocation(raw)
		return "a time zone like UTC or Europe/Berlin", err
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		_, err := strconv.ParseInt(raw, 10, t.Bits())
		return "an integer", err
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		_, err := strconv.ParseUint(raw, 10, t.Bits())
		return "a non-negative integer", err
	case reflect.Float32, reflect.Float64:
		_, err := strconv.ParseFloat(raw, t.Bits())
		return "a number", err
	case reflect.Bool:
		_, err := strconv.ParseBool(raw)
		return "a boolean (true or false)", err
	case reflect.Slice:
		for elem := range strings.SplitSeq(raw, sep) {
			if expected, err := checkValue(t.Elem(), elem, sep); err != nil {
				return fmt.Sprintf("a %q-separated list, each %s", sep, expected), err
			}
		}
	}
	return "", nil
}

// checkURL accepts absolute URLs only: url.Parse alone accepts nearly anything.
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if u.Scheme == "" {
		return fmt.Errorf("missing scheme in %q", raw)
	}
	if u.Host == "" && u.Opaque == "" && u.Path == "" {
		return fmt.Errorf("missing host in %q", raw)
	}
	return nil
}

// isLeaf reports whether a struct type is parsed as one value rather than
// walked field by field.
func isLeaf(t reflect.Type) bool {
	return t == urlType || t == locationType
}
