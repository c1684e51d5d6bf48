// Package webhook verifies and receives Plaid webhooks: the Plaid-Verification check (ES256 JWT,
// key from /webhook_verification_key/get cached by kid, body SHA-256, 5-minute iat), Sign (which the
// emulator uses for its own webhooks, so both sides share one implementation), the http.Handler that
// serves /webhook and /complete and reports through a channel of Events, and --forward-to relaying.
// It knows nothing of the TUI or of where its listener comes from (package tunnel provides that).
//
// Files: verify.go (verification, key cache, Sign), receiver.go (the http.Handler and its Events),
// forward.go (relaying verified webhooks to --forward-to).
package webhook
