package tui

import (
	"github.com/bankdown/linkrecovery/internal/sanitize"
	"github.com/bankdown/linkrecovery/internal/secret"
)

// inert is how a view draws one line of text from outside the process (webhook fields, Plaid
// messages, URLs, e-mail subjects, an opener's output, file names): known secrets masked, then
// every control escaped so the terminal shows it instead of obeying it. Apply it before
// ansi.Truncate/Wrap, which keep escape sequences as zero-width styling.
func inert(s string) string { return sanitize.Text(secret.Scrub(s)) }

// inertBlock is inert for text laid out on several lines: newlines and tabs stay.
func inertBlock(s string) string { return sanitize.Block(secret.Scrub(s)) }
