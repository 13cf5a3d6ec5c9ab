module github.com/wamesh/wamesh/services/dispatcher

go 1.26

require github.com/wamesh/wamesh/pkg v0.0.0

replace github.com/wamesh/wamesh/pkg => ../../pkg
