package emulator

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// This file guards the control plane (/emulator/...). The emulator may be reachable from the LAN
// (--public-host) and is always reachable from any web page the developer has open, so:
//   - machine endpoints (JSON) take the emulator's keys exactly as the Plaid API does, and only
//     application/json bodies, which a cross-site <form> cannot send;
//   - human pages show their one button (restore) only on the control link (ControlURL), which
//     carries the per-process token; the form posts it back, and Origin is checked;
//   - every /emulator request must name the emulator itself in Host, which defeats DNS rebinding.

// formTokenField is the hidden form field carrying the per-process token.
const formTokenField = "emulator_form_token"

// maxControlBody bounds a control request body.
const maxControlBody = 64 << 10

// ownHosts are the Host values that name this emulator for request r: its base URL's host, the
// address the connection came in on, and localhost on that port.
func (e *Emulator) ownHosts(r *http.Request) []string {
	var out []string
	if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if ap, err := netip.ParseAddrPort(la.String()); err == nil {
			port := strconv.Itoa(int(ap.Port()))
			out = append(out, net.JoinHostPort(ap.Addr().Unmap().String(), port))
			if ap.Addr().Unmap().IsLoopback() {
				out = append(out, "localhost:"+port)
			}
		}
	}
	if u, err := url.Parse(e.BaseURL()); err == nil && u.Host != "" {
		out = append(out, strings.ToLower(u.Host))
		if u.Port() == "" {
			out = append(out, strings.ToLower(net.JoinHostPort(u.Hostname(), urlPort(u))))
		}
	}
	return out
}

// hostAllowed reports whether r's Host header names this emulator. A page that rebinds its own DNS
// name to 127.0.0.1 still sends its own name here, so it is refused.
func (e *Emulator) hostAllowed(r *http.Request) bool {
	host := strings.ToLower(r.Host)
	for _, h := range e.ownHosts(r) {
		if host == h {
			return true
		}
	}
	return false
}

func (e *Emulator) refuseHost(w http.ResponseWriter, r *http.Request) {
	forbidden(w, fmt.Sprintf("This emulator answers its control pages only at its own address (%s); this request named %q in its Host header, "+
		"which is what a page from another site using DNS rebinding would send. Open the emulator at its own address.",
		strings.Join(e.ownHosts(r), ", "), r.Host))
}

// checkHumanForm checks a form posted from one of the emulator's own pages: the per-process token
// must be present, and a browser's Origin (when sent) must be this emulator.
func (e *Emulator) checkHumanForm(w http.ResponseWriter, r *http.Request) bool {
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host == "" || !strings.EqualFold(u.Host, r.Host) {
			forbidden(w, fmt.Sprintf("Refused: this form was posted from another site (Origin %q). Only the emulator's own pages may use its buttons; open %s/emulator instead.", o, e.BaseURL()))
			return false
		}
	}
	if s := r.Header.Get("Sec-Fetch-Site"); s == "cross-site" || s == "same-site" {
		forbidden(w, "Refused: this form was posted from another site (Sec-Fetch-Site: "+s+"). Use the buttons on the emulator's own pages.")
		return false
	}
	if subtle.ConstantTimeCompare([]byte(r.PostForm.Get(formTokenField)), []byte(e.formToken)) != 1 {
		forbidden(w, "Refused: the form has no valid emulator token (it was not posted from the page of the control link the emulator printed, or the emulator restarted). Open the control link again, or restore with the API keys (POST /emulator/institutions/restore).")
		return false
	}
	return true
}

func forbidden(w http.ResponseWriter, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusForbidden)
	_, _ = io.WriteString(w, msg+"\n")
}

// authControl authenticates a machine control request as the Plaid API does (PLAID-CLIENT-ID and
// PLAID-SECRET headers, or client_id and secret in the JSON body) and returns its body with the keys
// removed, ready for a strict decode. A request with a body must be application/json.
func (e *Emulator) authControl(r *http.Request) ([]byte, *plaidError) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxControlBody+1))
	if err != nil {
		return nil, errInvalidBody("could not read the request body: " + err.Error())
	}
	if len(body) > maxControlBody {
		return nil, errInvalidBody("the request body is larger than 64 KiB")
	}
	hasBody := len(bytes.TrimSpace(body)) > 0
	if (r.Method == http.MethodPost || hasBody) && !isJSON(r) {
		ct := r.Header.Get("Content-Type")
		return nil, &plaidError{Status: http.StatusUnsupportedMediaType, ErrorType: "INVALID_REQUEST", ErrorCode: "INVALID_HEADERS",
			ErrorMessage: fmt.Sprintf("emulator control endpoints take Content-Type: application/json, not %q; send JSON with the PLAID-CLIENT-ID and PLAID-SECRET headers (see GET /emulator)", ct)}
	}
	keysFrom := body
	if !hasBody {
		keysFrom = []byte("{}")
	} else if pe := checkJSON(body); pe != nil {
		return nil, pe
	}
	if pe := e.authenticate(r, keysFrom); pe != nil {
		return nil, pe
	}
	if !hasBody {
		return nil, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, errInvalidBody("the request body is not a JSON object: " + err.Error())
	}
	delete(m, "client_id")
	delete(m, "secret")
	out, _ := json.Marshal(m)
	return out, nil
}

// decodeControl decodes an authenticated control body strictly, so a misspelt field is an error
// rather than a silently ignored fault. An empty body decodes as {}.
func decodeControl(body []byte, v any) *plaidError {
	if len(body) == 0 {
		body = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errInvalidBody("the request body is not the JSON object this endpoint takes (" + err.Error() + "); see GET /emulator")
	}
	return nil
}

// maskTokens returns v with every public or access token string shortened by mask, so no
// emulator view hands out a usable token. It walks decoded JSON (maps, slices, strings).
func maskTokens(v any) any {
	switch x := v.(type) {
	case string:
		if isItemToken(x) {
			return mask(x)
		}
		return x
	case map[string]any:
		for k, val := range x {
			x[k] = maskTokens(val)
		}
		return x
	case []any:
		for i, val := range x {
			x[i] = maskTokens(val)
		}
		return x
	}
	return v
}

// isItemToken says whether s is a public or access token, in any Plaid environment.
func isItemToken(s string) bool {
	return strings.HasPrefix(s, "public-") || strings.HasPrefix(s, "access-")
}

// maskedBody is a webhook body with its tokens masked, for deliveries.json.
func maskedBody(body []byte) json.RawMessage {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return json.RawMessage(`null`)
	}
	out, err := json.Marshal(maskTokens(v))
	if err != nil {
		return json.RawMessage(`null`)
	}
	return out
}

// setPageSecurityHeaders sets the headers every HTML page of the emulator sends: a
// Content-Security-Policy that allows no script at all and only the page's own inline stylesheet
// (by hash), forms that post only to the emulator, and no framing (clickjacking).
func setPageSecurityHeaders(h http.Header, page []byte) {
	styleSrc := "'none'"
	if css, ok := inlineStyle(page); ok {
		sum := sha256.Sum256(css)
		styleSrc = "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	}
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'none'; style-src "+styleSrc+
		"; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}

// inlineStyle returns the content of the page's one <style> element, which the CSP names by hash.
func inlineStyle(page []byte) ([]byte, bool) {
	_, rest, ok := bytes.Cut(page, []byte("<style>"))
	if !ok {
		return nil, false
	}
	css, _, ok := bytes.Cut(rest, []byte("</style>"))
	return css, ok
}

// peek is view without side effects: the page a GET would show, except that a session not yet
// started stays unstarted (its first page is shown as it would be). HEAD uses it, because link
// previewers (chat apps, mail scanners) send HEAD to every URL they see.
func (e *Emulator) peek(id string) pageView {
	e.mu.Lock()
	defer e.mu.Unlock()
	h := e.hosted[id]
	if h == nil || h.Session != nil {
		s, pv := e.sessionLocked(id) // unknown, or already started: nothing new is started
		if s == nil {
			return pv
		}
		return e.pageLocked(s)
	}
	now := e.now()
	if (!h.Recovery && expired(now, h.Token.ExpiresAt)) || expired(now, h.ExpiresAt) { // as sessionLocked
		return pageView{Step: stepExpired, HostedID: id, ClientName: h.Token.ClientName,
			Reason: "This link has expired. Ask the app for a new link."}
	}
	pv := pageView{Step: stepSelect, HostedID: id, ClientName: h.Token.ClientName, Recovery: h.Recovery}
	if h.Recovery {
		pv.Step = stepLogin
	}
	return pv
}
