package gwtest

import (
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/wamesh/wamesh/services/gateway/api"
)

// Route is one operation of the spec.
type Route struct {
	Method, Path, OperationID string
	Op                        *openapi3.Operation
}

// Routes lists every operation of the embedded spec, sorted.
func Routes(t testing.TB) []Route {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(api.Spec)
	if err != nil {
		t.Fatal(err)
	}
	var out []Route
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			out = append(out, Route{Method: method, Path: path, OperationID: op.OperationID, Op: op})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path+out[i].Method < out[j].Path+out[j].Method })
	return out
}

// Fill replaces {param} placeholders with the given values (path-escaped).
func (r Route) Fill(values map[string]string) string {
	p := r.Path
	for k, v := range values {
		p = strings.ReplaceAll(p, "{"+k+"}", url.PathEscape(v))
	}
	return p
}

// Has reports whether the path has the {param} placeholder.
func (r Route) Has(param string) bool { return strings.Contains(r.Path, "{"+param+"}") }

// JSONBody returns the JSON request body schema, or nil.
func (r Route) JSONBody() *openapi3.Schema {
	if r.Op.RequestBody == nil || r.Op.RequestBody.Value == nil {
		return nil
	}
	mt := r.Op.RequestBody.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil {
		return nil
	}
	return mt.Schema.Value
}
