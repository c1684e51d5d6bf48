package audit

// advice returns why a case matters and the fix when it fails.
func advice(id string) (why, fix string) {
	see := " See " + DocsURL
	switch id {
	case Genuine, StillWorks:
		return "A genuine SESSION_FINISHED carries the public token of the Item the user just linked; missing it loses the Item.",
			"Verify the ES256 JWT in Plaid-Verification with the key from /webhook_verification_key/get, hash the raw body bytes (not re-serialised JSON), answer 200 quickly and exchange each public token." + see
	case MultipleTokens:
		return "One Link session can add several Items; public_tokens holds one token per Item.",
			"Exchange every entry of public_tokens, not only public_tokens[0]." + see
	case Exited:
		return "A session that ends without an Item still sends SESSION_FINISHED, with public_tokens empty.",
			"Answer 200 to EXITED and to an empty public_tokens; do not treat it as an error." + see
	case Duplicate:
		return "Plaid retries a webhook it thinks was not delivered; the retry has the same body and a fresh JWT.",
			"Deduplicate by link_session_id or public token before exchanging, and answer a repeat 200." + see
	case OtherWebhooks:
		return "Plaid sends EVENTS, ITEM_ADD_RESULT and new codes to the same URL; an error answer makes it retry them.",
			"Answer 200 to every webhook code, including ones the handler does not know." + see
	case NoSignature:
		return "Anyone can POST to a webhook URL; without a signature check a stranger can make the handler act.",
			"Refuse a webhook without a Plaid-Verification header before acting on it." + see
	case AlgNone:
		return "A JWT saying alg none has no signature at all.",
			"Accept only alg ES256; refuse every other alg before verifying." + see
	case AlgHS256:
		return "A verifier that trusts the JWT's alg can be made to check an HMAC keyed with the public key, which anyone has.",
			"Accept only alg ES256 and verify with the ECDSA key, never as an HMAC secret." + see
	case UnknownKey:
		return "A forger names a key of their own; a verifier that trusts any key verifies anything.",
			"Fetch the key by kid from /webhook_verification_key/get only, and refuse a kid Plaid does not know." + see
	case WrongKey:
		return "A forger names Plaid's kid but signs with their own key.",
			"Verify the signature with the key Plaid returned for the kid, and refuse when it does not match." + see
	case TamperedBody:
		return "A genuine JWT replayed over a changed body would let a forger choose the content.",
			"Compare the SHA-256 of the raw body bytes with the request_body_sha256 claim, in constant time." + see
	case Stale:
		return "An old genuine webhook replayed later must not count.",
			"Refuse a JWT whose iat is more than 5 minutes old." + see
	case ExpiredKey:
		return "Plaid rotates keys; a key whose expired_at has passed no longer vouches for anything.",
			"Refuse a key whose expired_at is set and in the past; refetch keys by kid." + see
	}
	return "", ""
}
