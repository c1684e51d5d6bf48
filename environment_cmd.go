package main

import "github.com/spf13/cobra"

// newEnvironmentTopic is `linkrecovery help environment`, a help topic (no Run) as gh's
// `gh help environment` is: the variables every command reads, in one place.
func newEnvironmentTopic() *cobra.Command {
	return &cobra.Command{
		Use:   "environment",
		Short: "The environment variables linkrecovery reads",
		Long: `linkrecovery reads these from the environment, then from --env-file (./.env by default):

    PLAID_CLIENT_ID, PLAID_SECRET  your Sandbox keys: both set, the real Plaid Sandbox; else the
                                   demo on the built-in emulator (the secret is only shown masked)
    PLAID_ENV                      sandbox (the default); production is refused: this is for tests
    PLAID_BASE_URL                 send the Plaid calls elsewhere, e.g. to 'linkrecovery emulator';
                                   only sandbox.plaid.com or a loopback or private address
    NGROK_AUTHTOKEN                for the embedded ngrok tunnel in real-Sandbox mode (unset: the
                                   token 'ngrok config add-authtoken' saved)

and these from the environment only:

    LINKRECOVERY_DEBUG             any value: log to linkrecovery-debug.log in the working directory
                                   (mode 0600, known secrets masked)
    LINKRECOVERY_LAN_ADDRS         demo: the addresses l (QR view) offers to serve the demo on, e.g.
                                   192.168.1.20 (unset: this machine's LAN IPv4 addresses)
    HTTPS_PROXY, NO_PROXY          honoured by the Plaid calls and by the ngrok tunnel
    COLORFGBG                      read, never queried, to pick dark or light colours (--theme wins)

'linkrecovery emulator' takes its keys from PLAID_CLIENT_ID and PLAID_SECRET, and makes them up
when they are unset.`,
	}
}
