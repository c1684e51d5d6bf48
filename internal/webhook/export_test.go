package webhook

// NextEvent lets the external test package (emulator_test.go, which cannot be an internal test
// because the emulator imports this package to sign) use the same wait as the internal tests.
var NextEvent = nextEvent
