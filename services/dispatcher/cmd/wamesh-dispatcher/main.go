// Command wamesh-dispatcher runs the dispatcher service alone (see cmd/wamesh for the all-in-one).
package main

import (
	"github.com/wamesh/wamesh/pkg/service"
	"github.com/wamesh/wamesh/services/dispatcher"
)

func main() { service.Main("wamesh-dispatcher", dispatcher.Run) }
