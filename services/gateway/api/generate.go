// Package api holds the OpenAPI spec of the REST API v1 (the source of truth)
// and the server interface, parameter types and embedded spec generated from
// it by oapi-codegen.
package api

import _ "embed"

//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen@v2.5.1 -config oapi-codegen.yaml openapi.yaml

// Spec is the OpenAPI document as written, served at /openapi.yaml.
//
//go:embed openapi.yaml
var Spec []byte
