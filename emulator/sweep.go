package emulator

import "time"

// The store would otherwise keep every link token, session, public token and Item for the life of
// the process (a long-running `linkrecovery emulator`, or one anybody on the LAN can call). The
// sweep drops what can no longer be used, a while after it stopped being usable, so tests and
// developers still get Plaid's "expired" answers for a time rather than "does not exist".
const (
	// sweepEvery is how often (by the emulator's clock) a request triggers a sweep.
	sweepEvery = time.Minute
	// ExpiredRetention is how long an expired link or public token (with its sessions and Hosted
	// Links) is kept before it is forgotten.
	ExpiredRetention = time.Hour
	// ItemRetention is how long an Item (and its access token) is kept after it was created. Plaid
	// keeps Items until they are removed; the emulator forgets them so its memory stays bounded.
	ItemRetention = 24 * time.Hour
	// OptInRetention is how long a Link Recovery opt-in waits for its institution to come back
	// before the emulator forgets it (the same week a recovery e-mail's link lives).
	OptInRetention = EmailHostedURLLife
	// maxInbox is how many recovery e-mails the inbox keeps.
	maxInbox = 1000
)

// sweep runs sweepLocked at most once per sweepEvery.
func (e *Emulator) sweep() {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	if !e.lastSweep.IsZero() && now.Sub(e.lastSweep) < sweepEvery && now.After(e.lastSweep) {
		return
	}
	e.lastSweep = now
	e.sweepLocked(now)
}

// sweepLocked drops expired Hosted Links, expired link tokens nothing live still needs (with their
// sessions, opt-ins and e-mails), opt-ins that waited longer than OptInRetention, expired public
// tokens, and Items older than ItemRetention or never exchanged.
func (e *Emulator) sweepLocked(now time.Time) {
	gone := func(expires time.Time) bool { return now.Sub(expires) > ExpiredRetention }
	// A link token outlives its own expiry while an opt-in still waits on it or a recovery e-mail's
	// Hosted Link (which lives EmailHostedURLLife) can still start a session under it.
	live := map[*linkToken]bool{}
	for _, o := range e.optIns {
		if !o.Notified && now.Sub(o.CreatedAt) <= OptInRetention {
			live[o.Token] = true
		}
	}
	for k, h := range e.hosted {
		if gone(h.ExpiresAt) {
			delete(e.hosted, k)
		} else if h.Recovery {
			live[h.Token] = true
		}
	}
	for k, lt := range e.linkTokens {
		if gone(lt.ExpiresAt) && !live[lt] {
			delete(e.linkTokens, k)
		}
	}
	for k, h := range e.hosted {
		if e.linkTokens[h.Token.Token] != h.Token {
			delete(e.hosted, k)
		}
	}
	kept := e.optIns[:0]
	for _, o := range e.optIns {
		if e.linkTokens[o.Token.Token] == o.Token && (o.Notified || now.Sub(o.CreatedAt) <= OptInRetention) {
			kept = append(kept, o)
		}
	}
	clear(e.optIns[len(kept):]) // let the dropped ones be collected
	e.optIns = kept

	inbox := e.inbox[:0]
	for _, m := range e.inbox {
		if _, ok := e.linkTokens[m.LinkToken]; ok {
			inbox = append(inbox, m)
		}
	}
	clear(e.inbox[len(inbox):])
	e.inbox = inbox
	if n := len(e.inbox); n > maxInbox {
		e.inbox = append([]Email(nil), e.inbox[n-maxInbox:]...)
	}

	for k, pt := range e.publicTokens {
		if gone(pt.ExpiresAt) {
			delete(e.publicTokens, k)
		}
	}
	pending := map[*item]bool{} // Items a live public token can still be exchanged for
	for _, pt := range e.publicTokens {
		pending[pt.Item] = true
	}
	for id, it := range e.items {
		old := now.Sub(it.CreatedAt) > ItemRetention
		orphan := it.AccessToken == "" && !pending[it]
		if old || orphan {
			delete(e.items, id)
			if it.AccessToken != "" {
				delete(e.accessTokens, it.AccessToken)
			}
		}
	}
}
