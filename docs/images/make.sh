#!/bin/sh
# Renders golden screens of the TUI (tui/testdata/TestGolden, kept true by tui's TestGolden) to SVG
# with Charm's freeze, and records each golden's sha256 in sources.sha256, which the root package's
# TestDocImages checks: a golden that changes after its picture was made fails that test until this
# script runs again. Run it from anywhere; the first run fetches freeze through the Go module proxy,
# later runs need no network (the module cache serves as the proxy).
set -eu
cd "$(dirname "$0")/../.."
goldens="signup_demo_email_sent_120x40"
proxy="file://$(go env GOMODCACHE)/cache/download,$(go env GOPROXY)"
: > docs/images/sources.sha256
for name in $goldens; do
	src="tui/testdata/TestGolden/$name.golden"
	GOPROXY="$proxy" GOFLAGS=-mod=mod go run github.com/charmbracelet/freeze@v0.2.2 \
		--language ansi --window --padding 20,40 -o "docs/images/$name.svg" "$src"
	sha256sum "$src" >> docs/images/sources.sha256
done
