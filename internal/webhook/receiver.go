package webhook

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bankdown/linkrecovery/internal/httpserve"
	"github.com/bankdown/linkrecovery/internal/positive"
)

// EventKind says what an Event is about.
type EventKind int

const (
	EventWebhook  EventKind = iota + 1 // a POST /webhook that parsed (verified or not, maybe a duplicate)
	EventRejected                      // a request refused before it was a webhook (method, size, JSON)
	EventComplete                      // the /complete page was opened: the phone reached the end
	EventForward                       // the --forward-to target answered (or failed)
)

// String names the kind for logs.
func (k EventKind) String() string {
	switch k {
	case EventWebhook:
		return "webhook"
	case EventRejected:
		return "rejected"
	case EventComplete:
		return "complete"
	case EventForward:
		return "forward"
	}
	return "EventKind(" + strconv.Itoa(int(k)) + ")"
}

// Webhook is the part of a Plaid LINK webhook the app acts on.
type Webhook struct {
	WebhookType   string   `json:"webhook_type"`
	WebhookCode   string   `json:"webhook_code"`
	Status        string   `json:"status,omitempty"`
	LinkSessionID string   `json:"link_session_id,omitempty"`
	LinkToken     string   `json:"link_token,omitempty"`
	PublicToken   string   `json:"public_token,omitempty"`
	PublicTokens  []string `json:"public_tokens,omitempty"`
	Environment   string   `json:"environment,omitempty"`
}

// Event is one thing the receiver saw.
type Event struct {
	Kind    EventKind
	Seq     int64 // 1, 2, 3... in arrival order
	At      time.Time
	Webhook *Webhook // nil unless Kind == EventWebhook
	// Body is the start of the raw body: at most BodyKeep bytes (rejectedBodyCap for a refused
	// request). The whole body was verified and is what --forward-to relays; only this much is
	// kept, so that a flood of big webhooks cannot fill memory.
	Body []byte
	// BodySize is the whole body's size in bytes (as far as it was read): more than len(Body) when
	// the body was cut.
	BodySize  int
	Status    int // HTTP status the receiver answered
	Verified  bool
	Reason    string // why not verified, or why rejected
	Duplicate bool
	// Attempt is how many times this delivery has now arrived, counting Plaid's retries (re-signed,
	// so only the delivery key tells them apart): 1 the first time. It counts the arrivals answered
	// 200 and those answered 503 because the key could not be fetched (Plaid retries those); a
	// refused forgery is not counted. 0 when not counted.
	Attempt int
	Forward *ForwardResult // Kind == EventForward

	// verification is the Plaid-Verification header a verified webhook came with, kept so that
	// Resend can relay it again as Plaid sent it. Unexported: a JWT is not for the screen.
	verification string
}

// BodyCut says whether Body is only the start of the body.
func (e Event) BodyCut() bool { return e.BodySize > len(e.Body) }

// Size is about how many bytes the event holds on to (its body and the webhook's fields), for
// a consumer that keeps a history of events bounded in bytes.
func (e Event) Size() int {
	n := len(e.Body) + len(e.Reason)
	if w := e.Webhook; w != nil {
		n += len(w.WebhookType) + len(w.WebhookCode) + len(w.Status) + len(w.LinkSessionID) + len(w.LinkToken) +
			len(w.PublicToken) + len(w.Environment)
		for _, t := range w.PublicTokens {
			n += len(t)
		}
	}
	return n
}

// Actionable says whether the app should act on the event (exchange its public tokens): a verified
// webhook (or any well-formed one when verification is off) that is not a duplicate.
func (e Event) Actionable() bool {
	return e.Kind == EventWebhook && e.Webhook != nil && !e.Duplicate && (e.Verified || e.Reason == ReasonNoVerifier)
}

// ForwardResult is the --forward-to target's answer for the event with Seq.
type ForwardResult struct {
	Seq        int64
	URL        string
	StatusCode int
	Latency    time.Duration
	Err        string
	Skipped    bool // not relayed on purpose (not verified, queue full, exiting): Err says why
}

// ReceiverConfig configures a Receiver.
type ReceiverConfig struct {
	Verifier  *Verifier // nil: nothing verifies (every event says so)
	ForwardTo string    // relay target, optional
	Keep      int       // how many recent events Recent keeps (default 200)

	// Buffer is the Events channel's capacity (default 256).
	Buffer int
	// SendWait is how long a request waits on a full Events channel before the event is dropped from
	// the channel (it stays in Recent and Dropped counts it). Default 100 ms: a stuck UI must not make
	// Plaid time out and retry.
	SendWait time.Duration
	// ForwardUnverified relays every webhook, verified or not (for testing your own handler's
	// verification). By default only verified webhooks are relayed; the others are reported as
	// not relayed.
	ForwardUnverified bool
	// ForwardClient relays to ForwardTo (default: a client that follows no redirects).
	ForwardClient *http.Client
	// ForwardTimeout bounds one relay (default DefaultForwardTimeout).
	ForwardTimeout time.Duration
	// ForwardDrain is how long Close lets relays still queued or in flight finish (default
	// DefaultForwardDrain).
	ForwardDrain time.Duration
	// Now is the clock (tests); nil means time.Now.
	Now func() time.Time

	// AllowWebhookFrom, if not empty, accepts /webhook only from these source addresses (Plaid's,
	// with --only-plaid-ips); other sources are refused with 403 and listed. /complete stays open to
	// anyone, because the phone that reaches it has no fixed address.
	AllowWebhookFrom []netip.Prefix
	// TrustForwardedFor takes the source address from the right-most X-Forwarded-For entry, the one
	// the tunnel in front appended (ngrok documents that it appends the client's address). Only for
	// the ngrok tunnel: where anyone can reach the listener directly (--listen, --public-host), the
	// header says whatever the sender wrote, so the connection's address is used instead.
	TrustForwardedFor bool
	// OnEvent, when set, sees every event as it is numbered (the debug log); it must not block.
	OnEvent func(Event)
}

// Limits of the receiver. What it keeps is bounded by count and by size, whatever is sent to it:
// at most Keep events in Recent and Buffer on Events, each with at most BodyKeep bytes of body
// (and, when not verified, fields of at most maxFieldBytes), so with the defaults Recent and
// Events hold at most about 30 MiB together.
const (
	// MaxBodyBytes is the largest body accepted, read whole and verified; Plaid's webhooks are a
	// few KiB at most.
	MaxBodyBytes = 1 << 20
	// BodyKeep is how much of a body an Event keeps (BodySize says the whole size).
	BodyKeep        = 64 << 10
	DefaultKeep     = 200
	DefaultBuffer   = 256
	dedupeCap       = 8192 // delivery keys remembered for duplicate detection (FIFO)
	rejectedBodyCap = 4 << 10
	// bigBodySlots is how many bodies over BodyKeep (or of unknown size) are read at once: each
	// takes up to MaxBodyBytes while it is verified, so many connections sending big bodies wait
	// for a slot instead of holding a MiB each. Plaid's webhooks are smaller and never wait.
	bigBodySlots = 8
	// maxFieldBytes and maxTokens bound the fields kept from a webhook that is not verified.
	maxFieldBytes = 1 << 10
	maxTokens     = 16
	// ForwardedHeader marks requests we relayed, so a --forward-to that points back at us cannot loop.
	ForwardedHeader = "Linkrecovery-Forwarded"
)

// Receiver serves POST /webhook and GET /complete, and streams Events. It is safe for concurrent use.
type Receiver struct {
	cfg     ReceiverConfig
	now     func() time.Time
	events  chan Event
	done    chan struct{}
	dropped atomic.Int64

	// sendMu is held for reading while an event is being sent, and for writing to close events, so
	// the channel is never sent on after it is closed.
	sendMu sync.RWMutex
	closed bool

	mu       sync.Mutex
	seq      int64
	ring     []Event // Keep slots, ring[head] is the next to overwrite
	head     int
	count    int
	seen     map[string]*arrivals
	seenFIFO []string
	seenNext int
	// unread holds relay results the last reader of Events may not have had: those Events had no
	// room for, and those that came once relaying stopped. FinishForwards hands them over.
	unread []Event

	nonce    string        // see CompleteNonce
	bigSlots chan struct{} // see bigBodySlots

	closeOnce sync.Once
	fwd       *forwarder
	fwdWG     sync.WaitGroup
	fwdCtx    context.Context
	fwdCancel context.CancelFunc
}

// NewReceiver returns a receiver; call Serve or mount it as an http.Handler and call Close.
func NewReceiver(cfg ReceiverConfig) *Receiver {
	cfg.Keep = positive.Or(cfg.Keep, DefaultKeep)
	cfg.Buffer = positive.Or(cfg.Buffer, DefaultBuffer)
	cfg.SendWait = positive.Or(cfg.SendWait, 100*time.Millisecond)
	r := &Receiver{
		cfg:      cfg,
		now:      cfg.Now,
		events:   make(chan Event, cfg.Buffer),
		done:     make(chan struct{}),
		ring:     make([]Event, cfg.Keep),
		seen:     make(map[string]*arrivals),
		nonce:    rand.Text(), // 128 random bits, URL-safe
		bigSlots: make(chan struct{}, bigBodySlots),
	}
	if r.now == nil {
		r.now = time.Now
	}
	r.fwdCtx, r.fwdCancel = context.WithCancel(context.Background())
	if cfg.ForwardTo != "" {
		r.fwd = newForwarder(cfg.ForwardTo, cfg.ForwardClient, cfg.ForwardTimeout)
		r.startForwarding()
	}
	return r
}

// ServeHTTP serves /webhook and /complete.
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	switch path := req.URL.Path; {
	case path == "/webhook", path == "/webhook/":
		r.serveWebhook(w, req)
	case path == "/complete", strings.HasPrefix(path, "/complete/"):
		r.serveComplete(w, req)
	default:
		// Not an event: the public URL attracts scanners and favicon requests, which are noise.
		http.NotFound(w, req)
	}
}

func (r *Receiver) reject(w http.ResponseWriter, req *http.Request, status int, reason string, body []byte) {
	writeJSON(w, status, false, reason)
	r.emit(req.Context(), Event{Kind: EventRejected, Status: status, Reason: reason, Body: prefix(body, rejectedBodyCap), BodySize: len(body)})
}

// prefix is at most n bytes of b, copied when cut so that the event does not keep b's whole array.
func prefix(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	return bytes.Clone(b[:n])
}

// boundFields cuts the fields of a webhook that is not verified, which anyone can send, to what a
// Plaid webhook could hold: the event keeps them, and a MiB of webhook_code is not a webhook.
func boundFields(wh *Webhook) {
	for _, f := range []*string{&wh.WebhookType, &wh.WebhookCode, &wh.Status, &wh.LinkSessionID, &wh.LinkToken, &wh.PublicToken, &wh.Environment} {
		if len(*f) > maxFieldBytes {
			*f = strings.Clone((*f)[:maxFieldBytes])
		}
	}
	if len(wh.PublicTokens) > maxTokens {
		wh.PublicTokens = slices.Clone(wh.PublicTokens[:maxTokens])
	}
	for i, t := range wh.PublicTokens {
		if len(t) > maxFieldBytes {
			wh.PublicTokens[i] = strings.Clone(t[:maxFieldBytes])
		}
	}
}

// sourceAddr is the address a request came from, as far as this receiver can trust it.
func (r *Receiver) sourceAddr(req *http.Request) (netip.Addr, error) {
	if r.cfg.TrustForwardedFor {
		if xff := req.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			last := xff[len(xff)-1]
			if i := strings.LastIndexByte(last, ','); i >= 0 {
				last = last[i+1:]
			}
			a, err := netip.ParseAddr(strings.TrimSpace(last))
			if err != nil {
				return netip.Addr{}, fmt.Errorf("X-Forwarded-For %q is not an address", printable(strings.TrimSpace(last)))
			}
			return a.Unmap(), nil
		}
		// ngrok-go's listener reports the client's address (from ngrok's proxy header) as the
		// connection's remote address, so without the header that is still the right one.
	}
	ap, err := netip.ParseAddrPort(req.RemoteAddr)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("remote address %q is not an address", printable(req.RemoteAddr))
	}
	return ap.Addr().Unmap(), nil
}

// allowedSource says whether /webhook may be served to req, and if not, why.
func (r *Receiver) allowedSource(req *http.Request) (bool, string) {
	if len(r.cfg.AllowWebhookFrom) == 0 {
		return true, ""
	}
	a, err := r.sourceAddr(req)
	if err != nil {
		return false, "source unknown (" + err.Error() + "): only Plaid's webhook addresses are accepted (--only-plaid-ips)"
	}
	for _, p := range r.cfg.AllowWebhookFrom {
		if p.Contains(a) {
			return true, ""
		}
	}
	return false, "source " + a.String() + " is not one of Plaid's webhook addresses (--only-plaid-ips)"
}

func (r *Receiver) serveWebhook(w http.ResponseWriter, req *http.Request) {
	if ok, why := r.allowedSource(req); !ok {
		r.reject(w, req, http.StatusForbidden, why, nil)
		return
	}
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		r.reject(w, req, http.StatusMethodNotAllowed, fmt.Sprintf("method %s not allowed (use POST)", printable(req.Method)), nil)
		return
	}
	ct := req.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		if ct == "" {
			ct = "none"
		}
		r.reject(w, req, http.StatusUnsupportedMediaType, fmt.Sprintf("content type %s not accepted (need application/json)", printable(ct)), nil)
		return
	}
	if req.ContentLength > MaxBodyBytes {
		r.reject(w, req, http.StatusRequestEntityTooLarge, fmt.Sprintf("body over 1 MiB (Content-Length %d)", req.ContentLength), nil)
		return
	}
	body, err := r.readBody(req)
	if err != nil {
		if len(body) > MaxBodyBytes {
			r.reject(w, req, http.StatusRequestEntityTooLarge, "body over 1 MiB", body)
			return
		}
		r.reject(w, req, http.StatusBadRequest, "body could not be read ("+printable(err.Error())+")", body)
		return
	}
	var wh Webhook
	if err := json.Unmarshal(body, &wh); err != nil {
		r.reject(w, req, http.StatusBadRequest, "body is not a JSON object ("+printable(jsonErrText(err))+")", body)
		return
	}
	if wh.WebhookType == "" || wh.WebhookCode == "" {
		r.reject(w, req, http.StatusBadRequest, "not a Plaid webhook (no webhook_type or webhook_code)", body)
		return
	}

	// The event keeps the body's start; the whole body is verified, keyed and relayed below.
	ev := Event{Kind: EventWebhook, Webhook: &wh, Body: prefix(body, BodyKeep), BodySize: len(body)}
	header := req.Header.Get("Plaid-Verification")
	switch {
	case r.cfg.Verifier == nil:
		ev.Reason = ReasonNoVerifier
		ev.Status = http.StatusOK
	default:
		err := r.cfg.Verifier.Verify(req.Context(), header, body)
		var fe *KeyFetchError
		var ve *VerifyError
		switch {
		case err == nil:
			ev.Verified = true
			ev.Status = http.StatusOK
			ev.verification = header
		case errors.As(err, &fe):
			// Our fault, not the sender's: 503 makes Plaid retry once the key is reachable.
			ev.Reason = fe.Reason
			ev.Status = http.StatusServiceUnavailable
		case errors.As(err, &ve):
			ev.Reason = ve.Reason
			ev.Status = http.StatusUnauthorized
		default:
			ev.Reason = printable(err.Error())
			ev.Status = http.StatusUnauthorized
		}
	}
	if ev.Status == http.StatusOK || ev.Status == http.StatusServiceUnavailable {
		ev.Attempt, ev.Duplicate = r.markSeen(deliveryKey(&wh, body), ev.Status == http.StatusOK)
	}
	if !ev.Verified {
		boundFields(&wh)
	}
	writeJSON(w, ev.Status, ev.Status == http.StatusOK, ev.Reason)
	relay := r.fwd != nil && req.Header.Get(ForwardedHeader) == ""
	admitted := relay && r.admitRelay()
	ev, _ = r.emit(req.Context(), ev)
	if relay {
		r.forward(ev, body, header, admitted)
	}
}

// readBody reads at most MaxBodyBytes+1 bytes; more than MaxBodyBytes is an error. A body that
// may be bigger than BodyKeep is read only with one of the bigSlots.
func (r *Receiver) readBody(req *http.Request) ([]byte, error) {
	if req.Body == nil {
		return nil, nil
	}
	if n := req.ContentLength; n < 0 || n > BodyKeep {
		select {
		case r.bigSlots <- struct{}{}:
			defer func() { <-r.bigSlots }()
		case <-req.Context().Done():
			return nil, context.Cause(req.Context())
		}
	}
	if n := req.ContentLength; n >= 0 && n <= MaxBodyBytes {
		// The common case: size known, one exact allocation. A short body is io.ErrUnexpectedEOF.
		buf := make([]byte, n)
		if _, err := io.ReadFull(req.Body, buf); err != nil {
			return nil, err
		}
		return buf, nil
	}
	b, err := io.ReadAll(io.LimitReader(req.Body, MaxBodyBytes+1))
	if err != nil {
		return b, err
	}
	if len(b) > MaxBodyBytes {
		return b, errors.New("body over 1 MiB")
	}
	return b, nil
}

// deliveryKey identifies one delivery across Plaid's retries (which are re-signed, so the JWT
// differs). A session finishes once, so SESSION_FINISHED is keyed on its link_session_id and code,
// the field the app acts on. Other webhooks can come several times per session with different
// content (EVENTS batches, one ITEM_ADD_RESULT per Item), so for them the body itself is the key.
func deliveryKey(wh *Webhook, body []byte) string {
	if wh.LinkSessionID != "" && wh.WebhookCode == "SESSION_FINISHED" {
		return "s\x00" + wh.WebhookType + "\x00" + wh.WebhookCode + "\x00" + wh.LinkSessionID
	}
	sum := sha256.Sum256(body)
	return "b\x00" + string(sum[:])
}

// arrivals is what the receiver remembers of one delivery key.
type arrivals struct {
	n        int  // arrivals so far
	answered bool // one of them was answered 200, so the app has acted on it
}

// markSeen counts an arrival of key and says which arrival it is and whether an earlier one was
// answered 200 (so this one is a duplicate the app must not act on again). ok says whether this
// one is answered 200. Memory is bounded: the oldest keys are forgotten first.
func (r *Receiver) markSeen(key string, ok bool) (attempt int, dup bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	a := r.seen[key]
	if a == nil {
		a = &arrivals{}
		if len(r.seenFIFO) < dedupeCap {
			r.seenFIFO = append(r.seenFIFO, key)
		} else {
			delete(r.seen, r.seenFIFO[r.seenNext])
			r.seenFIFO[r.seenNext] = key
			r.seenNext = (r.seenNext + 1) % dedupeCap
		}
		r.seen[key] = a
	}
	a.n++
	dup = a.answered
	a.answered = a.answered || ok
	return a.n, dup
}

const completePage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>linkrecovery: done</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;text-align:center}</style>
</head><body>
<h1>Plaid Link has ended &mdash; return to your terminal</h1>
<p>Plaid brings you here both when you finish and when you leave Link, so this page cannot tell which;
the linkrecovery app asks Plaid and shows it. You can close this page.</p>
</body></html>
`

// notCountedPage is what /complete shows without this run's nonce: a page, but nothing counted.
const notCountedPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>linkrecovery: not counted</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;text-align:center}</style>
</head><body>
<h1>linkrecovery did not count this visit</h1>
<p>This link is not the one linkrecovery gave Plaid for the session running now (an older run's link, or
an address typed by hand). If you just finished Plaid Link, return to your terminal: the app follows
the session through Plaid as well.</p>
</body></html>
`

// CompleteNonce is this receiver's random nonce: /complete counts a visit (EventComplete) only when
// its path carries it (/complete/NONCE), so nobody who merely knows the URL (a LAN neighbour, a scanner) can tick
// "completion page reached".
func (r *Receiver) CompleteNonce() string { return r.nonce }

// CompleteURL adds this receiver's nonce to base, the public /complete URL, as a last path segment
// (/complete/NONCE), giving the completion_redirect_uri to put in link tokens. In the path, not in
// the query, so that it survives whatever a page in between (ngrok's free-plan browser warning) or
// Plaid does with the query; a query on base is kept.
func (r *Receiver) CompleteURL(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	u.Path = strings.TrimRight(u.Path, "/") + "/" + r.nonce
	u.RawPath = ""
	return u.String()
}

func (r *Receiver) serveComplete(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		r.reject(w, req, http.StatusMethodNotAllowed, fmt.Sprintf("method %s not allowed on /complete (use GET)", printable(req.Method)), nil)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	got := strings.Trim(strings.TrimPrefix(req.URL.Path, "/complete"), "/")
	present := got != ""
	ok := present && subtle.ConstantTimeCompare([]byte(got), []byte(r.nonce)) == 1
	switch {
	case ok:
	case !present:
		// A bare visit (someone who knows the URL, a link previewer): a page, nothing counted, and
		// not worth an alarm.
		w.WriteHeader(http.StatusOK)
		if req.Method == http.MethodGet {
			io.WriteString(w, notCountedPage)
		}
		return
	default:
		// A nonce, but not ours: an old run's link, or a guess. Listed, so the user sees it.
		w.WriteHeader(http.StatusForbidden)
		if req.Method == http.MethodGet {
			io.WriteString(w, notCountedPage)
		}
		r.emit(req.Context(), Event{Kind: EventRejected, Status: http.StatusForbidden,
			Reason: "/complete opened with a nonce that is not this run's (an old link, or a guess): not counted"})
		return
	}
	w.WriteHeader(http.StatusOK)
	if req.Method != http.MethodGet {
		// HEAD is what link previewers send: the person did not reach the page.
		return
	}
	io.WriteString(w, completePage)
	// The query (e.g. a link session id Plaid appends) is kept for the UI to show; the nonce is in
	// the path, so it never reaches the screen or a transcript.
	var body []byte
	if req.URL.RawQuery != "" {
		body = []byte(req.URL.RawQuery)
		if len(body) > rejectedBodyCap {
			body = body[:rejectedBodyCap]
		}
	}
	r.emit(req.Context(), Event{Kind: EventComplete, Status: http.StatusOK, Body: body})
}

// writeJSON answers with a tiny JSON body; the sender (Plaid, curl) sees why in plain words.
func writeJSON(w http.ResponseWriter, status int, ok bool, reason string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	var b bytes.Buffer
	b.WriteString(`{"ok":`)
	b.WriteString(strconv.FormatBool(ok))
	if reason != "" {
		b.WriteString(`,"reason":`)
		q, _ := json.Marshal(reason)
		b.Write(q)
	}
	b.WriteString("}\n")
	w.Write(b.Bytes())
}

func jsonErrText(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s at byte %d", se.Error(), se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field == "" {
			return "top level is " + te.Value + ", want an object"
		}
		return fmt.Sprintf("field %s is %s", te.Field, te.Value)
	}
	return err.Error()
}

// emit numbers ev, keeps it in Recent and offers it on Events without ever blocking for long. It
// says whether ev went onto Events.
func (r *Receiver) emit(ctx context.Context, ev Event) (Event, bool) {
	r.mu.Lock()
	r.seq++
	ev.Seq = r.seq
	if ev.At.IsZero() {
		ev.At = r.now()
	}
	r.ring[r.head] = ev
	r.head = (r.head + 1) % len(r.ring)
	if r.count < len(r.ring) {
		r.count++
	}
	r.mu.Unlock()
	if r.cfg.OnEvent != nil {
		r.cfg.OnEvent(ev)
	}

	r.sendMu.RLock()
	defer r.sendMu.RUnlock()
	if r.closed {
		return ev, false
	}
	select {
	case r.events <- ev:
		return ev, true
	default:
	}
	t := time.NewTimer(r.cfg.SendWait)
	defer t.Stop()
	select {
	case r.events <- ev:
		return ev, true
	case <-ctx.Done():
	case <-r.done:
	case <-t.C:
	}
	r.dropped.Add(1)
	return ev, false
}

// Events is closed when the receiver stops.
func (r *Receiver) Events() <-chan Event { return r.events }

// Dropped says how many events did not fit on Events because nobody was reading (they are still in Recent).
func (r *Receiver) Dropped() int64 { return r.dropped.Load() }

// Recent returns the latest events, newest first.
func (r *Receiver) Recent() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Event, 0, r.count)
	for i := 1; i <= r.count; i++ {
		out = append(out, r.ring[(r.head-i+len(r.ring))%len(r.ring)])
	}
	return out
}

// Serve serves on ln until ctx ends (or Close is called), then closes Events. It returns nil on a
// clean stop, or the listener's error if serving failed.
func (r *Receiver) Serve(ctx context.Context, ln net.Listener) error {
	// The same limits as every server of the app (a stalled body is dropped within 30 s), and an
	// ErrorLog that keeps net/http's noise out of the TUI.
	srv := httpserve.New(r, httpserve.Limits{})
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	var err error
	select {
	case <-ctx.Done():
	case <-r.done:
	case err = <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	_ = srv.Shutdown(sctx)
	cancel()
	r.Close()
	if err != nil {
		return fmt.Errorf("webhook receiver stopped: %w", err)
	}
	return nil
}

// Close stops the receiver and closes Events (for receivers mounted without Serve). Relays still
// queued or in flight get ForwardDrain to finish (see FinishForwards), then are cancelled. It is
// safe to call more than once.
func (r *Receiver) Close() error {
	r.closeOnce.Do(func() {
		r.stopForwards(r.cfg.ForwardDrain)
		close(r.done)
		r.fwdCancel()
		r.sendMu.Lock()
		r.closed = true
		close(r.events)
		r.sendMu.Unlock()
	})
	return nil
}
