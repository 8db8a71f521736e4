package gen

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestPure: gen writes only through its tree writer (gen/tree) and w:
// its own files import nothing that reaches the file system, a process
// or the kernel, and take from internal/networkd only what renders the
// drop-in into a host's tree (and whether there is one), not what installs it or has networkd
// reload (apply's, at run time).
func TestPure(t *testing.T) {
	forbidden := map[string]bool{"os": true, "os/exec": true, "syscall": true, "net": true, "github.com/vishvananda/netlink": true}
	rendering := map[string]bool{"Render": true, "DropInPath": true, "Wanted": true}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			if path, _ := strconv.Unquote(imp.Path.Value); forbidden[path] {
				t.Errorf("%s imports %s", name, path)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "networkd" && !rendering[sel.Sel.Name] {
					t.Errorf("%s uses networkd.%s: gen only renders the drop-in", name, sel.Sel.Name)
				}
			}
			return true
		})
	}
}
