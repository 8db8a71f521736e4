//go:build unix

package notify

import (
	"fmt"
	"os"
	"syscall"
)

// sameFile says whether f is the file whose "dev:ino" is stream.
func sameFile(f *os.File, stream string) bool {
	var dev, ino uint64
	if n, err := fmt.Sscanf(stream, "%d:%d", &dev, &ino); n != 2 || err != nil {
		return false
	}
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && uint64(st.Dev) == dev && uint64(st.Ino) == ino
}
