// A module outside linkrecovery that tests its own Plaid code against the emulator, as another
// project would: it imports emulatortest through a replace of the module next door.
// emulatortest's TestOutsideModule runs `go test` here.
module example.com/outside

go 1.26.8

require (
	github.com/bankdown/linkrecovery v0.0.0-00010101000000-000000000000
	github.com/plaid/plaid-go/v29 v29.0.0
)

require (
	github.com/golang-jwt/jwt/v5 v5.3.1 // indirect
	github.com/golang/protobuf v1.5.2 // indirect
	golang.org/x/net v0.30.0 // indirect
	golang.org/x/oauth2 v0.0.0-20220822191816-0ebed06d0094 // indirect
	google.golang.org/appengine v1.6.7 // indirect
	google.golang.org/protobuf v1.35.1 // indirect
)

replace github.com/bankdown/linkrecovery => ../../../..
