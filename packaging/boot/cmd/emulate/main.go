// Command emulate makes programs of the given Debian architectures run on
// this host through qemu-user and binfmt_misc, as the boot test of those
// packages needs (boot.Emulation), and prints what it installed, mounted and
// registered. `make test` runs it as root before the tests, so that the
// host-global change is said where it is made.
//
//	go run ./packaging/boot/cmd/emulate arm64
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/podroutes/podroutes/packaging/boot"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: emulate ARCH...")
		os.Exit(2)
	}
	for _, arch := range os.Args[1:] {
		did, err := boot.HostEmulation().Ensure(context.Background(), arch)
		for _, l := range did {
			fmt.Println("emulate " + arch + ": " + l)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "emulate:", err)
			os.Exit(1)
		}
	}
}
