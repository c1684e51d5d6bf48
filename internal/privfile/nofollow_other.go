//go:build !unix

package privfile

// noFollow is 0 where O_NOFOLLOW does not exist; the Lstat check in Create still refuses a link.
const noFollow = 0
