// Package env is the wiring between the core (flows) and the world: Env holds the emulator's server
// (demo mode), the plaid-go client with its debug, clock-check and call-capture transports, the
// tunnel and the webhook receiver, and it is the one effect interpreter (Perform, Open) both
// drivers use: RunHeadless here, and the TUI in its tea.Cmds.
//
// Files: env.go (Env, New, OpenTunnel, Close), config.go (Config, LoadConfig, --products),
// perform.go (the interpreter), headless.go (the headless driver), link.go and exchange.go (the
// Plaid calls, mapped to the core's plain types), plaiderr.go (plaid-go's errors as the core's),
// demo.go (what only the demo's emulator can do), capture.go (Plaid calls as events), debuglog.go
// and clock.go (the transports).
package env
