//go:build !unix

package secret

// noFollow is 0 where open has no O_NOFOLLOW; OpenPrivate's Lstat check stands alone there.
const noFollow = 0
