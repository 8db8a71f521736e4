package metrics

import (
	"strings"
	"testing"
)

func TestCheckAddress(t *testing.T) {
	for addr, ok := range map[string]bool{
		"": true, "127.0.0.1:9157": true, "[::1]:9157": true, ":9157": true,
		"9157": false, "localhost": false, "127.0.0.1:65536": false, "127.0.0.1:http": false, "::1:9157": false,
	} {
		err := CheckAddress(addr)
		if (err == nil) != ok {
			t.Errorf("CheckAddress(%q) = %v, want ok %v", addr, err, ok)
		}
		if want := "--metrics-address \"" + addr + "\": want HOST:PORT"; err != nil && !strings.HasPrefix(err.Error(), want) {
			t.Errorf("CheckAddress(%q) = %v, want it to start %q", addr, err, want)
		}
	}
}
