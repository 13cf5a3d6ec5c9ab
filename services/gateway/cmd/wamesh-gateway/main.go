// Command wamesh-gateway runs the gateway service alone (see cmd/wamesh for the all-in-one).
package main

import (
	"github.com/wamesh/wamesh/pkg/service"
	"github.com/wamesh/wamesh/services/gateway"
)

func main() { service.Main("wamesh-gateway", gateway.Run) }
