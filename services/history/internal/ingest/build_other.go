package ingest

import (
	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/services/history/internal/store"
)

// addOther handles the types that carry no history model rows: the raw
// event is still stored.
func addOther(_ *store.Batch, _ events.Event, _ Options) error { return nil }
