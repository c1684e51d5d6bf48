package ci

import (
	"testing"
)

// fakeT records how a test was ended, without ending the real one.
type fakeT struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (f *fakeT) Helper()                        {}
func (f *fakeT) Skipf(format string, a ...any)  { f.skipped, f.msg = true, format }
func (f *fakeT) Fatalf(format string, a ...any) { f.failed, f.msg = true, format }

// A missing tool skips outside CI and fails under it; a present one does neither.
func TestMissingSkipsOrFails(t *testing.T) {
	for _, tc := range []struct {
		ci, cmd            string
		wantSkip, wantFail bool
	}{
		{"", "no-such-command-linkrecovery", true, false},
		{"true", "no-such-command-linkrecovery", false, true},
		{"true", "go", false, false},
	} {
		t.Setenv("CI", tc.ci)
		f := &fakeT{}
		NeedCommand(f, tc.cmd, "apt-get install -y it")
		if f.skipped != tc.wantSkip || f.failed != tc.wantFail {
			t.Errorf("CI=%q %s: skipped %v failed %v, want %v %v (%s)", tc.ci, tc.cmd, f.skipped, f.failed, tc.wantSkip, tc.wantFail, f.msg)
		}
	}
}
