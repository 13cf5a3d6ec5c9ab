// Package envtags lists the environment variables a configuration struct
// reads, from its `env:"..."` struct tags, the way github.com/caarlos0/env
// (behind pkg/config) reads them: nested structs are walked, `envPrefix`
// prefixes their variables, and `required`/`notEmpty` mark variables that
// must be set.
package envtags

import (
	"encoding"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Var is one environment variable a struct reads.
type Var struct {
	Name       string // e.g. WAMESH_NATS_URL
	Field      string // dotted field path, e.g. NATS.URL
	Required   bool   // tagged required or notEmpty: the program refuses to start without it
	Default    string // envDefault, if any
	HasDefault bool   // whether an envDefault tag is present
}

// Set maps variable names to what reads them.
type Set map[string]Var

// Names returns the variable names, sorted.
func (s Set) Names() []string {
	names := make([]string, 0, len(s))
	for n := range s {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Union returns a set holding the variables of all sets.
func Union(sets ...Set) Set {
	u := Set{}
	for _, s := range sets {
		for n, v := range s {
			u[n] = v
		}
	}
	return u
}

var (
	durationType        = reflect.TypeFor[time.Duration]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// Of returns the variables read by a value of type t (a struct or a pointer
// to one). Fields of interface, func and channel types are never read from
// the environment and are skipped.
func Of(t reflect.Type) Set {
	s := Set{}
	walk(t, "", "", s)
	return s
}

func walk(t reflect.Type, prefix, path string, s Set) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return
	}
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		field := strings.TrimPrefix(path+"."+sf.Name, ".")
		if v, ok := leaf(sf, prefix, field); ok {
			s[v.Name] = v
			continue
		}
		ft := sf.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && !isLeafType(ft) {
			walk(ft, prefix+sf.Tag.Get("envPrefix"), field, s)
		}
	}
}

// leaf returns the variable of a field with an env tag.
func leaf(sf reflect.StructField, prefix, field string) (Var, bool) {
	name, opts, _ := strings.Cut(sf.Tag.Get("env"), ",")
	if name == "" || name == "-" {
		return Var{}, false
	}
	options := strings.Split(opts, ",")
	def, hasDef := sf.Tag.Lookup("envDefault")
	return Var{
		Name:       prefix + name,
		Field:      field,
		Required:   slices.Contains(options, "required") || slices.Contains(options, "notEmpty"),
		Default:    def,
		HasDefault: hasDef,
	}, true
}

// isLeafType reports whether the env library parses t from one variable
// instead of walking its fields.
func isLeafType(t reflect.Type) bool {
	if t == durationType || t.PkgPath() == "time" || t.PkgPath() == "net/url" {
		return true
	}
	return reflect.PointerTo(t).Implements(textUnmarshalerType)
}

// FromSource returns the variables named by `env` tags of the struct types
// declared in the non-test Go files of dir. It serves for packages a test
// cannot import (internal packages of another module); it reads tags only,
// so envPrefix on nested fields is not applied.
func FromSource(dir string) (Set, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	s := Set{}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		file, err := parser.ParseFile(fset, f, src, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		collectTags(file, s)
	}
	return s, nil
}

func collectTags(file *ast.File, s Set) {
	ast.Inspect(file, func(n ast.Node) bool {
		st, ok := n.(*ast.StructType)
		if !ok {
			return true
		}
		for _, f := range st.Fields.List {
			if f.Tag == nil || len(f.Names) == 0 {
				continue
			}
			tag, err := strconv.Unquote(f.Tag.Value)
			if err != nil {
				continue
			}
			sf := reflect.StructField{Name: f.Names[0].Name, Tag: reflect.StructTag(tag)}
			if v, ok := leaf(sf, "", sf.Name); ok {
				s[v.Name] = v
			}
		}
		return true
	})
}
