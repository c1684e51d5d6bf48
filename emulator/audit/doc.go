// Package audit grades a developer's own Plaid webhook handler (issue 17): it sends the handler
// genuine and forged Link webhooks signed by an emulator that the handler's Plaid client points
// at, and judges each case by what the handler answered and by which public tokens it then tried
// to exchange, as recorded by the emulator. A Go project can call Run from its own go test against
// an httptest handler; `linkrecovery audit --target URL` runs it from the command line
// (docs/audit.md).
//
// Plaid's verification scheme: https://plaid.com/docs/api/webhooks/webhook-verification/
package audit
