package diag

import (
	"strconv"
	"testing"
)

func TestSome(t *testing.T) {
	for _, tt := range []struct {
		n    int
		want string
	}{
		{0, ""},
		{1, "1"},
		{3, "1, 2, 3"},
		{4, "1, 2, 3 and 1 more"},
		{5000, "1, 2, 3 and 4997 more"},
	} {
		items := make([]int, tt.n)
		for i := range items {
			items[i] = i + 1
		}
		if got := Some(items, 3, strconv.Itoa); got != tt.want {
			t.Errorf("Some(%d items, 3) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

func TestCount(t *testing.T) {
	for n, want := range map[int]string{0: "0 routes", 1: "1 route", 2: "2 routes", 5000: "5000 routes"} {
		if got := Count(n, "route"); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
}
