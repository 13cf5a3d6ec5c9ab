package store

import "errors"

var (
	// ErrNotFound is returned by Chat and Message when the tenant's
	// session has no such row.
	ErrNotFound = errors.New("not found")
	// ErrBadCursor is returned by list queries for a cursor they did not issue.
	ErrBadCursor = errors.New("bad cursor")
)

// errPipelineRead is returned when a pipelined Postgres write transaction
// tries to read: its statements only run when the whole batch is sent.
var errPipelineRead = errors.New("read inside a pipelined write transaction")
