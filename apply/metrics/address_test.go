package metrics

import "testing"

func TestCheckAddress(t *testing.T) {
	for addr, ok := range map[string]bool{
		"": true, "127.0.0.1:9157": true, "[::1]:9157": true, ":9157": true,
		"9157": false, "localhost": false, "127.0.0.1:65536": false, "127.0.0.1:http": false, "::1:9157": false,
	} {
		if err := CheckAddress(addr); (err == nil) != ok {
			t.Errorf("CheckAddress(%q) = %v, want ok %v", addr, err, ok)
		}
	}
}
