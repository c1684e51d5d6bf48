package env

// ListenAllOn makes --public-host listen on addr instead of every interface (tests must not listen
// on the network); the func it returns puts it back.
func ListenAllOn(addr string) func() {
	old := listenAll
	listenAll = addr
	return func() { listenAll = old }
}
