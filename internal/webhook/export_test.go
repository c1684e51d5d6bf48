package webhook

// NextEvent lets the external test package (emulator_test.go, which cannot be an internal test
// because the emulator imports this package to sign) use the same wait as the internal tests.
var NextEvent = nextEvent

// waiting is how many verifications wait on the key lookup of kid now in flight.
func (v *Verifier) waiting(kid string) int {
	v.mu.Lock()
	defer v.mu.Unlock()
	if c := v.inflight[kid]; c != nil {
		return c.waiters
	}
	return 0
}
