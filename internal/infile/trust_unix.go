//go:build unix

package infile

import (
	"fmt"
	"os"
	"strings"
	"syscall"
)

// untrusted says why this process should not trust the file described by
// fi, or "" when it may: the file must be owned by root (or by this
// process's user, who could write it anyway: the same rule for root) and
// writable by nobody else.
func untrusted(path string, fi os.FileInfo) string {
	var why []string
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid != 0 && int(st.Uid) != os.Geteuid() {
		why = append(why, fmt.Sprintf("owned by uid %d, not root; run `chown root: %s`", st.Uid, path))
	}
	if fi.Mode().Perm()&0o022 != 0 {
		why = append(why, fmt.Sprintf("group- or world-writable (mode %s); run `chmod go-w %s`", fi.Mode().Perm(), path))
	}
	return strings.Join(why, "; ")
}
