package telemetry

import "errors"

// ErrInvalidConfig is wrapped by Config.Validate errors.
var ErrInvalidConfig = errors.New("invalid telemetry config")
