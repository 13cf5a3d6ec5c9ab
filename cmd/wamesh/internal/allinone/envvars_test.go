package allinone

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The README's configuration table must document every variable the binary
// reads, so the one table a user reads never falls behind the code.
func TestREADMEDocumentsEveryVariable(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	vars := EnvVars()
	if len(vars) < 10 {
		t.Fatalf("found only %d variables: %v", len(vars), vars)
	}
	for _, v := range vars {
		if !strings.Contains(string(readme), "| `"+v+"` |") {
			t.Errorf("README.md configuration table lacks %s", v)
		}
	}
}
