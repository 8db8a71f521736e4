// Package golden compares a test's output with a file kept in testdata,
// or rewrites that file when the test runs with -update. It declares the
// one -update flag of every test binary that imports it, so each package's
// golden files are updated the same way: go test ./PKG -update.
package golden

import (
	"bytes"
	"flag"
	"os"
	"testing"

	"github.com/podroutes/podroutes/internal/filetest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata instead of comparing with them")

// Check compares got with the file at path and reports a difference as a
// test error; with -update it writes got to path (and its directory)
// instead.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		filetest.Write(t, path, string(got), 0o644)
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
