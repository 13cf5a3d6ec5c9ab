package store

import "context"

// sqlStore is the Store both adapters share; they differ only in how they
// connect, run statements and delete by physical row id.
type sqlStore struct {
	read      runner                                          // pool / database outside transactions
	inTx      func(context.Context, func(runner) error) error // runs fn in one transaction
	ping      func(context.Context) error
	close     func() error
	deleteSQL func(table string) string // $1 tenant, $2 cutoff micros, $3 limit
	optimism  *optimism                 // nil: Apply always upserts
}
