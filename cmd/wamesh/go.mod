module github.com/wamesh/wamesh/cmd/wamesh

go 1.26

require (
	github.com/wamesh/wamesh/pkg v0.0.0
	github.com/wamesh/wamesh/services/dispatcher v0.0.0
	github.com/wamesh/wamesh/services/gateway v0.0.0
	github.com/wamesh/wamesh/services/history v0.0.0
	github.com/wamesh/wamesh/services/session v0.0.0
)

replace (
	github.com/wamesh/wamesh/pkg => ../../pkg
	github.com/wamesh/wamesh/services/dispatcher => ../../services/dispatcher
	github.com/wamesh/wamesh/services/gateway => ../../services/gateway
	github.com/wamesh/wamesh/services/history => ../../services/history
	github.com/wamesh/wamesh/services/session => ../../services/session
)
