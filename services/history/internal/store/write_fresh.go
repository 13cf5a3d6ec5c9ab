package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// copier is implemented by runners that can bulk-load with COPY
// (Postgres). New rows go by COPY, rows that already exist by upsert; a
// concurrent writer inserting the same key in between makes the COPY fail
// with a unique violation, and the adapter retries the batch without it.
type copier interface {
	copyRows(ctx context.Context, table string, cols []string, rows [][]any) error
	fastPath() bool
}

// writeFresh writes n rows of u: by COPY for keys not yet stored (when r
// is a copier in fast-path mode), by upsert for the rest. keyOf returns
// the primary key of row i; the first len(keyOf(i)) columns of u are the
// key columns.
func writeFresh(ctx context.Context, r runner, u upsert, n int, keyOf func(i int) []string, fill func(i int, a []any) []any) error {
	c, ok := r.(copier)
	if !ok || !c.fastPath() || n == 0 {
		return u.run(ctx, r, n, fill)
	}
	existing, err := existingKeys(ctx, r, u, n, keyOf)
	if err != nil {
		return err
	}
	var fresh [][]any
	var old []int
	for i := range n {
		if existing[key(keyOf(i)...)] {
			old = append(old, i)
			continue
		}
		fresh = append(fresh, fill(i, make([]any, 0, len(u.cols))))
	}
	if len(fresh) > 0 {
		if err := c.copyRows(ctx, u.table, u.cols, fresh); err != nil {
			return fmt.Errorf("copy %s: %w", u.table, err)
		}
	}
	return u.run(ctx, r, len(old), func(j int, a []any) []any { return fill(old[j], a) })
}

// existingKeys returns the keys among rows 0..n-1 already in u's table.
func existingKeys(ctx context.Context, r runner, u upsert, n int, keyOf func(i int) []string) (map[string]bool, error) {
	nk := len(keyOf(0))
	arrays := make([][]string, nk)
	for i := range n {
		for j, v := range keyOf(i) {
			arrays[j] = append(arrays[j], v)
		}
	}
	args := make([]any, nk)
	params, on := make([]string, nk), make([]string, nk)
	for j := range nk {
		args[j] = arrays[j]
		params[j] = "$" + strconv.Itoa(j+1) + "::text[]"
		on[j] = "t." + u.cols[j] + " = k." + u.cols[j]
	}
	keyCols := strings.Join(u.cols[:nk], ", ")
	q := "SELECT " + prefixed("t.", u.cols[:nk]) + " FROM " + u.table + " t JOIN unnest(" + strings.Join(params, ", ") +
		") AS k(" + keyCols + ") ON " + strings.Join(on, " AND ")
	out := make(map[string]bool)
	err := r.query(ctx, q, args, func(s scanner) error {
		vals := make([]string, nk)
		ptrs := make([]any, nk)
		for j := range vals {
			ptrs[j] = &vals[j]
		}
		if err := s.Scan(ptrs...); err != nil {
			return err
		}
		out[key(vals...)] = true
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("find existing %s: %w", u.table, err)
	}
	return out, nil
}

func prefixed(p string, cols []string) string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = p + c
	}
	return strings.Join(out, ", ")
}
