// Command wamesh-history runs the history service alone (see cmd/wamesh for the all-in-one).
package main

import (
	"github.com/wamesh/wamesh/pkg/service"
	"github.com/wamesh/wamesh/services/history"
)

func main() { service.Main("wamesh-history", history.Run) }
