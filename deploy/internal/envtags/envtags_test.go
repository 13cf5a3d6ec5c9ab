package envtags

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"
)

type inner struct {
	Addr string        `env:"ADDR" envDefault:":80"`
	TTL  time.Duration `env:"TTL"`
}

type level int

func (l *level) UnmarshalText([]byte) error { return nil }

type sample struct {
	Inner   inner
	Pointed *inner `envPrefix:"P_"`
	Plain   string `env:"PLAIN,required"`
	Strict  string `env:"STRICT,notEmpty,file"`
	Skipped string `env:"-"`
	NoTag   string
	URL     url.URL `env:"URL"`
	Level   level   `env:"LEVEL"`
	Handler http.Handler
	Fn      func()
	//lint:ignore U1000 read by reflection only: unexported fields must be skipped
	hidden   string `env:"HIDDEN"`
	Prefixed struct {
		Deep inner `envPrefix:"DEEP_"`
	} `envPrefix:"OUTER_"`
}

func TestOf(t *testing.T) {
	t.Parallel()
	got := Of(reflect.TypeFor[*sample]())
	want := []string{"ADDR", "LEVEL", "OUTER_DEEP_ADDR", "OUTER_DEEP_TTL", "PLAIN", "P_ADDR", "P_TTL", "STRICT", "TTL", "URL"}
	if names := got.Names(); !slices.Equal(names, want) {
		t.Fatalf("Of() names = %v, want %v", names, want)
	}
	if v := got["PLAIN"]; !v.Required || v.HasDefault {
		t.Errorf("PLAIN = %+v, want required without default", v)
	}
	if v := got["STRICT"]; !v.Required {
		t.Errorf("STRICT = %+v, want required (notEmpty)", v)
	}
	if v := got["ADDR"]; v.Required || !v.HasDefault || v.Default != ":80" || v.Field != "Inner.Addr" {
		t.Errorf("ADDR = %+v, want optional with default :80 at Inner.Addr", v)
	}
}

func TestUnion(t *testing.T) {
	t.Parallel()
	u := Union(Set{"A": {Name: "A"}}, Set{"B": {Name: "B"}}, Set{"A": {Name: "A"}})
	if names := u.Names(); !slices.Equal(names, []string{"A", "B"}) {
		t.Fatalf("Union() = %v", names)
	}
}

func TestFromSource(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src := "package x\n\ntype C struct {\n\tA string `env:\"X_A\" envDefault:\"a\"`\n\tB int `env:\"X_B,required\"`\n\tC string `json:\"c\"`\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "c.go"), []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	test := "package x\n\ntype T struct {\n\tA string `env:\"X_TEST_ONLY\"`\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "c_test.go"), []byte(test), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := FromSource(dir)
	if err != nil {
		t.Fatal(err)
	}
	if names := got.Names(); !slices.Equal(names, []string{"X_A", "X_B"}) {
		t.Fatalf("FromSource() = %v, want [X_A X_B]", names)
	}
	if !got["X_B"].Required {
		t.Errorf("X_B not required")
	}
	if _, err := FromSource(filepath.Join(dir, "missing")); err != nil {
		t.Errorf("FromSource(missing dir) = %v, want an empty set", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bad.go"), []byte("package"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := FromSource(dir); err == nil {
		t.Errorf("FromSource(broken source) = nil error")
	}
}
