package positive

import (
	"testing"
	"time"
)

func TestOr(t *testing.T) {
	for _, tc := range []struct {
		v, want time.Duration
	}{
		{0, time.Minute},
		{-time.Second, time.Minute},
		{time.Nanosecond, time.Nanosecond},
		{2 * time.Hour, 2 * time.Hour},
	} {
		if got := Or(tc.v, time.Minute); got != tc.want {
			t.Errorf("Or(%v, 1m) = %v, want %v", tc.v, got, tc.want)
		}
	}
	if got := Or(-3, 8); got != 8 {
		t.Errorf("Or(-3, 8) = %d, want 8", got)
	}
	if got := Or(3, 8); got != 3 {
		t.Errorf("Or(3, 8) = %d, want 3", got)
	}
}
