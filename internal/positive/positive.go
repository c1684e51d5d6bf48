// Package positive holds the rule every option with a default follows: zero, or a negative that
// cannot mean anything, stands for the default.
package positive

// Or returns v when it is above zero, else def. Unlike cmp.Or it does not keep a negative: a
// negative timeout, buffer or retry count is never what the caller meant.
func Or[T ~int | ~int64](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}
