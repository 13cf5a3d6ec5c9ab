package store_test

import (
	"path/filepath"
	"testing"

	"github.com/wamesh/wamesh/pkg/testutil"
	"github.com/wamesh/wamesh/services/history/internal/store"
	"github.com/wamesh/wamesh/services/history/internal/store/storetest"
)

func TestPostgres(t *testing.T) {
	t.Parallel()
	storetest.TestStore(t, func(t *testing.T) store.Store {
		ctx := testutil.Context(t)
		s, err := store.OpenPostgres(ctx, testutil.Postgres(t))
		if err != nil {
			t.Fatalf("open postgres: %v", err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}

func TestSQLite(t *testing.T) {
	t.Parallel()
	storetest.TestStore(t, func(t *testing.T) store.Store {
		s, err := store.OpenSQLite(testutil.Context(t), filepath.Join(t.TempDir(), "history.db"))
		if err != nil {
			t.Fatalf("open sqlite: %v", err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}

// TestReopen proves migrations are idempotent (second open applies nothing).
func TestReopen(t *testing.T) {
	t.Parallel()
	ctx := testutil.Context(t)
	path := filepath.Join(t.TempDir(), "h.db")
	url := testutil.Postgres(t)
	for range 2 {
		for _, open := range []func() (store.Store, error){
			func() (store.Store, error) { return store.OpenSQLite(ctx, path) },
			func() (store.Store, error) { return store.OpenPostgres(ctx, url) },
		} {
			s, err := open()
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			_ = s.Close()
		}
	}
}
