package allinone

import (
	"reflect"
	"sort"
	"strings"
)

// EnvVars lists every WAMESH_* variable the wamesh binary reads, found from
// the env tags of the all-in-one's and the four services' configurations.
func EnvVars() []string {
	seen := map[string]bool{}
	var s services
	for _, v := range []any{Config{}, s.gateway, s.session, s.dispatcher, s.history} {
		collectEnv(reflect.TypeOf(v), seen)
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func collectEnv(t reflect.Type, seen map[string]bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		if tag, ok := f.Tag.Lookup("env"); ok {
			if name, _, _ := strings.Cut(tag, ","); name != "" && name != "-" {
				seen[name] = true
				continue
			}
		}
		collectEnv(f.Type, seen)
	}
}
